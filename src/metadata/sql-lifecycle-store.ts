// The lifecycle part of the MetadataStore over Kysely: garbage collection's mark and sweep
// queries and image retention's policies. SqlMetadataStore (sql-store.ts) builds on it.
import { sql, type Kysely } from "kysely";
import { lockRows, writeTransaction, type SqlDatabase } from "./direct.js";
import type { Database } from "./schema.js";
import { batches, toBlob, unique, type BlobRow } from "./sql-rows.js";
import type { BlobRecord, ManifestKey, ManifestRule, RetentionImage, RetentionPolicyRecord } from "./store.js";

export abstract class SqlLifecycleStore {
  protected readonly db: Kysely<Database>;

  constructor(protected readonly base: SqlDatabase) {
    this.db = base.kysely;
  }

  async unreachableManifests(rule: ManifestRule, after: ManifestKey | undefined, limit: number): Promise<ManifestKey[]> {
    const from = after ? sql`and (repository > ${after.repository} or (repository = ${after.repository} and digest > ${after.digest}))` : sql``;
    const found = await sql<ManifestKey>`select repository, digest from manifests where ${collectable(rule)} ${from}
      order by repository, digest limit ${limit}`.execute(this.db);
    return found.rows.map((r) => ({ repository: r.repository, digest: r.digest }));
  }

  async deleteUnreachableManifest(key: ManifestKey, rule: ManifestRule): Promise<boolean> {
    return writeTransaction(this.base, async (trx) => {
      const { repository, digest } = key;
      const lock = lockRows(this.base, trx.selectFrom("manifests").select("digest").where("repository", "=", repository).where("digest", "=", digest), "update");
      if (lock) await trx.executeQuery(lock.compile(trx));
      const deleted = await sql`delete from manifests where repository = ${repository} and digest = ${digest} and ${collectable(rule)} returning digest`.execute(trx);
      if (deleted.rows.length === 0) return false;
      await trx.deleteFrom("manifest_refs").where("repository", "=", repository).where("parent", "=", digest).execute();
      return true;
    });
  }

  async unreferencedBlobs(before: number, after: string | undefined, limit: number): Promise<BlobRecord[]> {
    const found = await sql<BlobRow>`select * from blobs where digest > ${after ?? ""} and claimed_by is null and linked_at < ${before}
      and ${unreferenced} order by digest limit ${limit}`.execute(this.db);
    return found.rows.map(toBlob);
  }

  async claimBlobs(digests: string[], before: number, claimant: string, now: number, forget: readonly string[] = []): Promise<BlobRecord[]> {
    if (digests.length === 0) {
      await this.forgetBlobs([...forget]);
      return [];
    }
    const list = sql.join(unique(digests).sort());
    return writeTransaction(this.base, async (trx) => {
      if (forget.length > 0) await trx.deleteFrom("blobs").where("digest", "in", unique([...forget])).where("claimed_by", "is not", null).execute();
      // Writers that link one of these blobs lock its row first (share or update): after this
      // lock, what they committed is visible to the check below, and what they start waits.
      const lock = lockRows(this.base, trx.selectFrom("blobs").select("digest").where("digest", "in", unique(digests)).orderBy("digest"), "update");
      if (lock) await trx.executeQuery(lock.compile(trx));
      await sql`delete from blob_holds where digest in (${list}) and until < ${now}`.execute(trx);
      const claimed = await sql<BlobRow>`update blobs set claimed_by = ${claimant}, claimed_at = ${now}
        where digest in (${list}) and claimed_by is null and linked_at < ${before} and ${unreferenced}
        and not exists (select 1 from blob_holds h where h.digest = blobs.digest) returning *`.execute(trx);
      const records = claimed.rows.map(toBlob);
      // Metadata before bytes: from here no repository lists these blobs.
      if (records.length > 0) await trx.deleteFrom("repo_blobs").where("digest", "in", records.map((b) => b.digest)).execute();
      return records;
    });
  }

  async claimedBlobs(limit: number): Promise<BlobRecord[]> {
    const found = await this.db.selectFrom("blobs").selectAll().where("claimed_by", "is not", null).orderBy("digest").limit(limit).execute();
    return found.map(toBlob);
  }

  async forgetBlobs(digests: string[]): Promise<void> {
    for (const batch of batches(unique(digests))) {
      await this.db.deleteFrom("blobs").where("digest", "in", batch).where("claimed_by", "is not", null).execute();
    }
  }

  async retentionPolicies(tenancy: string): Promise<RetentionPolicyRecord[]> {
    const policies = await this.db.selectFrom("retention_policies").selectAll().where("tenancy", "=", tenancy).orderBy("name").execute();
    const members = await this.db.selectFrom("retention_repositories").select(["policy", "repository"]).where("tenancy", "=", tenancy).orderBy("repository").execute();
    return policies.map((p) => ({
      tenancy: p.tenancy,
      name: p.name,
      rules: p.rules,
      createdAt: Number(p.created_at),
      changedAt: Number(p.changed_at),
      repositories: members.filter((m) => m.policy === p.name).map((m) => m.repository),
    }));
  }

  async retentionTenancies(): Promise<string[]> {
    const rows = await this.db.selectFrom("retention_policies").select("tenancy").distinct().orderBy("tenancy").execute();
    return rows.map((r) => r.tenancy);
  }

  async putRetentionPolicy(tenancy: string, name: string, rules: string, at: number, mode: "create" | "update" | "upsert"): Promise<boolean> {
    if (mode === "update") {
      const result = await this.db.updateTable("retention_policies").set({ rules, changed_at: at }).where("tenancy", "=", tenancy).where("name", "=", name).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    }
    const insert = this.db.insertInto("retention_policies").values({ tenancy, name, rules, created_at: at, changed_at: at });
    const query =
      mode === "create"
        ? insert.onConflict((oc) => oc.columns(["tenancy", "name"]).doNothing())
        : insert.onConflict((oc) => oc.columns(["tenancy", "name"]).doUpdateSet({ rules, changed_at: at }));
    const result = await query.executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async deleteRetentionPolicy(tenancy: string, name: string): Promise<boolean> {
    return writeTransaction(this.base, async (trx) => {
      await trx.deleteFrom("retention_repositories").where("tenancy", "=", tenancy).where("policy", "=", name).execute();
      const result = await trx.deleteFrom("retention_policies").where("tenancy", "=", tenancy).where("name", "=", name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async deleteRetentionPolicies(tenancy: string): Promise<void> {
    await writeTransaction(this.base, async (trx) => {
      await trx.deleteFrom("retention_repositories").where("tenancy", "=", tenancy).execute();
      await trx.deleteFrom("retention_policies").where("tenancy", "=", tenancy).execute();
    });
  }

  async addRetentionRepository(tenancy: string, name: string, repository: string, at: number): Promise<"added" | "present" | "no-policy" | { heldBy: string }> {
    return writeTransaction(this.base, async (trx) => {
      // Taking the policy's row first (an update) orders this against a concurrent delete of it.
      const touched = await trx.updateTable("retention_policies").set({ name }).where("tenancy", "=", tenancy).where("name", "=", name).executeTakeFirst();
      if (Number(touched.numUpdatedRows) === 0) return "no-policy";
      // The primary key decides a race between two overrides: one insert wins, the other sees its row.
      const inserted = await trx
        .insertInto("retention_repositories")
        .values({ repository, tenancy, policy: name, added_at: at })
        .onConflict((oc) => oc.column("repository").doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) {
        await trx.updateTable("retention_policies").set({ changed_at: at }).where("tenancy", "=", tenancy).where("name", "=", name).execute();
        return "added";
      }
      const holder = await trx.selectFrom("retention_repositories").select("policy").where("repository", "=", repository).executeTakeFirstOrThrow();
      return holder.policy === name ? "present" : { heldBy: holder.policy };
    });
  }

  async removeRetentionRepository(tenancy: string, name: string, repository: string, at: number): Promise<boolean> {
    return writeTransaction(this.base, async (trx) => {
      const result = await trx.deleteFrom("retention_repositories").where("repository", "=", repository).where("tenancy", "=", tenancy).where("policy", "=", name).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await trx.updateTable("retention_policies").set({ changed_at: at }).where("tenancy", "=", tenancy).where("name", "=", name).execute();
      return true;
    });
  }

  async retentionImages(repository: string): Promise<RetentionImage[]> {
    const found = await sql<{ digest: string; pushed_at: number | string; last_pulled_at: number | string | null; untagged_since: number | string | null }>`
      select m.digest, m.pushed_at, m.last_pulled_at, m.untagged_since from manifests m
      where m.repository = ${repository} and m.subject is null
      and not exists (select 1 from manifest_refs r where r.repository = m.repository and r.child = m.digest and r.kind = 'manifest')
      order by m.digest`.execute(this.db);
    const tags = await this.db.selectFrom("tags").select(["name", "digest"]).where("repository", "=", repository).orderBy("name").execute();
    const byDigest = new Map<string, string[]>();
    for (const t of tags) byDigest.set(t.digest, [...(byDigest.get(t.digest) ?? []), t.name]);
    const refs = await this.db
      .selectFrom("manifest_refs")
      .select(["parent", "child"])
      .where("repository", "=", repository)
      .where("kind", "=", "manifest")
      .orderBy("parent")
      .orderBy("child")
      .execute();
    const children = new Map<string, { digest: string; tagged: boolean }[]>();
    for (const r of refs) children.set(r.parent, [...(children.get(r.parent) ?? []), { digest: r.child, tagged: byDigest.has(r.child) }]);
    return found.rows.map((r) => ({
      digest: r.digest,
      tags: byDigest.get(r.digest) ?? [],
      pushedAt: Number(r.pushed_at),
      lastPulledAt: r.last_pulled_at === null ? null : Number(r.last_pulled_at),
      untaggedSince: r.untagged_since === null ? null : Number(r.untagged_since),
      children: children.get(r.digest) ?? [],
    }));
  }
}

/** No manifest of any repository references the blob (`blobs.digest`). */
const unreferenced = sql`not exists (select 1 from manifest_refs r where r.child = blobs.digest)`;

/** The manifests (`manifests.*`) that `rule` removes; see MetadataStore.unreachableManifests. */
function collectable(rule: ManifestRule) {
  const subjectGone = sql`not exists (select 1 from manifests s where s.repository = manifests.repository and s.digest = manifests.subject)`;
  const kind = rule.untagged ? sql`(manifests.subject is null or ${subjectGone})` : sql`(manifests.subject is not null and ${subjectGone})`;
  return sql`manifests.pushed_at < ${rule.before}
    and not exists (select 1 from tags t where t.repository = manifests.repository and t.digest = manifests.digest)
    and not exists (select 1 from manifest_refs r where r.repository = manifests.repository and r.child = manifests.digest)
    and ${kind}`;
}
