// The MetadataStore over Kysely: one implementation for every SQL backend.
import { sql } from "kysely";
import { first, lockRows, requireRow, rows, version, writeAll, writeTransaction, type Compilable, type Requirement, type SqlDatabase } from "./direct.js";
import { describeManifest, type Platform } from "../content/image-description.js";
import { INDEX_TYPES } from "../content/mediatypes.js";
import { ReadCache } from "./read-cache.js";
import { RepositoryCreation } from "./repository-creation.js";
import { StorageQuota } from "./storage-quota.js";
import { escapeLike } from "./like.js";
import { SqlLifecycleStore } from "./sql-lifecycle-store.js";
import { batches, toBlob, toManifest, toUpload, unique, uniqueBy, type ManifestRow, type UploadRow } from "./sql-rows.js";
import {
  BlobBeingCollected,
  MissingReferences,
  StorageQuotaExceeded,
  TagImmutable,
  type DailyUsage,
  type UsageEvent,
  type UsageScope,
  type BlobLink,
  type BlobRecord,
  type ManifestRecord,
  type ManifestReference,
  type ManifestSummary,
  type MetadataStore,
  type NewManifest,
  type Page,
  type PullEvent,
  type RepositoryStats,
  type ReferrerRecord,
  type TagRecord,
  type UploadProgress,
  type UploadRecord,
} from "./store.js";

export interface MetadataStoreOptions {
  /** a repository is created only while its tenancy holds fewer than its limit (auth.enabled) */
  repositoryLimits?: boolean;
}

export class SqlMetadataStore extends SqlLifecycleStore implements MetadataStore {
  /** manifests recently read, by repository and digest or tag; 8 MiB of content at most */
  private readonly manifests = new ReadCache<ManifestRecord>(8 * 1024 * 1024, (m) => m.content.byteLength + 200);

  private readonly creation: RepositoryCreation;

  private readonly quota: StorageQuota;

  constructor(base: SqlDatabase, options: MetadataStoreOptions = {}) {
    super(base);
    this.creation = new RepositoryCreation(base, options.repositoryLimits ?? false);
    this.quota = new StorageQuota(base, options.repositoryLimits ?? false);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async repositoryExists(name: string): Promise<boolean> {
    const row = await this.db.selectFrom("repositories").select("name").where("name", "=", name).executeTakeFirst();
    return row !== undefined;
  }

  async createRepository(name: string, at: number): Promise<boolean> {
    const created = await writeTransaction(this.base, async (trx) => {
      const lock = this.creation.lock(name);
      if (lock) await trx.executeQuery(lock.compile(trx));
      if (await trx.selectFrom("repositories").select("name").where("name", "=", name).executeTakeFirst()) return false;
      const result = await trx.executeQuery(this.creation.insert(name, at).compile(trx));
      return Number(result.numAffectedRows ?? 0) > 0 ? true : undefined;
    });
    if (created === undefined) throw await this.creation.refusal(name);
    return created;
  }

  async listRepositories(page: Page): Promise<string[]> {
    let query = this.db.selectFrom("repositories").select("name").orderBy("name").limit(page.limit);
    if (page.last !== undefined) query = query.where("name", ">", page.last);
    if (page.prefix !== undefined) query = query.where("name", ">=", page.prefix).where("name", "<", prefixEnd(page.prefix));
    if (page.filter) query = query.where(nameContains(page.filter));
    return (await query.execute()).map((r) => r.name);
  }

  async deleteRepository(name: string): Promise<boolean> {
    return writeTransaction(this.base, async (trx) => {
      for (const table of ["tags", "manifest_refs", "manifests", "repo_blobs"] as const) {
        await trx.deleteFrom(table).where("repository", "=", name).execute();
      }
      // Its uploads' bytes are for the purger, which knows how to end a writer on every driver.
      await trx.updateTable("uploads").set({ repository: DETACHED, updated_at: 0 }).where("repository", "=", name).execute();
      const result = await trx.deleteFrom("repositories").where("name", "=", name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async repositoryStats(names: string[]): Promise<Map<string, RepositoryStats>> {
    const stats = new Map<string, RepositoryStats>();
    for (const n of names) stats.set(n, { tags: 0, manifests: 0, size: 0, pulls: 0, lastPushedAt: null });
    for (const batch of batches(unique(names))) {
      const tags = await this.db
        .selectFrom("tags")
        .select(["repository", (eb) => eb.fn.countAll<number | string>().as("n")])
        .where("repository", "in", batch)
        .groupBy("repository")
        .execute();
      for (const r of tags) stats.get(r.repository)!.tags = Number(r.n);
      const manifests = await this.db
        .selectFrom("manifests")
        .select([
          "repository",
          (eb) => eb.fn.countAll<number | string>().as("n"),
          (eb) => eb.fn.sum<number | string>("pull_count").as("pulls"),
          (eb) => eb.fn.max<number | string>("pushed_at").as("pushed"),
        ])
        .where("repository", "in", batch)
        .groupBy("repository")
        .execute();
      for (const r of manifests) {
        const s = stats.get(r.repository)!;
        s.manifests = Number(r.n);
        s.pulls = Number(r.pulls ?? 0);
        s.lastPushedAt = r.pushed === null ? null : Number(r.pushed);
      }
      // Each blob once, however many manifests share it; blobs no manifest references are not counted.
      const referenced = this.db
        .selectFrom("manifest_refs")
        .select(["repository", "child"])
        .distinct()
        .where("repository", "in", batch)
        .where("kind", "=", "blob")
        .as("r");
      const sizes = await this.db
        .selectFrom(referenced)
        .innerJoin("repo_blobs as b", (join) => join.onRef("b.repository", "=", "r.repository").onRef("b.digest", "=", "r.child"))
        .select(["r.repository", (eb) => eb.fn.sum<number | string>("b.size").as("size")])
        .groupBy("r.repository")
        .execute();
      for (const r of sizes) stats.get(r.repository)!.size = Number(r.size ?? 0);
    }
    return stats;
  }

  async linkBlob(repository: string, digest: string, size: number, at: number): Promise<void> {
    const link = { repository, digest, size, at };
    if (await writeAll(this.base, [...this.creation.writes(repository, at), ...this.quotaKept(link), ...this.touchBlob(link), unclaimed(digest), this.insertLink(link)])) return;
    if ((await this.getBlob(digest))?.claimed) throw new BlobBeingCollected(digest);
    throw await this.refusal(link);
  }

  async mountBlob(repository: string, digest: string, size: number, from: string, at: number): Promise<boolean> {
    const link = { repository, digest, size, at };
    const source = requireRow(sql`select 1 from repo_blobs where repository = ${from} and digest = ${digest}`);
    const writes = [...this.creation.writes(repository, at), ...this.quotaKept(link), ...this.touchBlob(link), unclaimed(digest), source, this.insertLink(link)];
    if (await writeAll(this.base, writes)) return true;
    if ((await this.getBlob(digest))?.claimed || (await this.linkedBlobSize(from, digest)) === undefined) return false;
    throw await this.refusal(link);
  }

  async getBlob(digest: string): Promise<BlobRecord | undefined> {
    const row = await this.db.selectFrom("blobs").selectAll().where("digest", "=", digest).executeTakeFirst();
    return row && toBlob(row);
  }

  async holdBlob(digest: string, size: number, holder: string, at: number, until: number): Promise<boolean> {
    const hold = this.db
      .insertInto("blob_holds")
      .values({ digest, holder, until })
      .onConflict((oc) => oc.columns(["digest", "holder"]).doUpdateSet({ until }));
    return writeAll(this.base, [...this.touchBlob({ digest, size, at }, false), unclaimed(digest), hold]);
  }

  async releaseBlobHold(digest: string, holder: string): Promise<void> {
    await this.db.deleteFrom("blob_holds").where("digest", "=", digest).where("holder", "=", holder).execute();
  }

  async commitUpload(id: string, blob: BlobLink): Promise<void> {
    const endSession = this.db.deleteFrom("uploads").where("id", "=", id);
    // The hold taken before the bytes moved is still there: no sweep has claimed the digest since.
    const held = requireRow(sql`select 1 from blob_holds where digest = ${blob.digest} and holder = ${id}`);
    const release = this.db.deleteFrom("blob_holds").where("digest", "=", blob.digest).where("holder", "=", id);
    const writes = [...this.creation.writes(blob.repository, blob.at), ...this.quotaKept(blob), ...this.touchBlob(blob), held, release, this.insertLink(blob), endSession];
    if (await writeAll(this.base, writes)) return;
    const hold = await this.db.selectFrom("blob_holds").select("until").where("digest", "=", blob.digest).where("holder", "=", id).executeTakeFirst();
    if (!hold) throw new BlobBeingCollected(blob.digest);
    // The bytes are a blob already; a session that cannot be committed has nothing left to hold.
    await writeAll(this.base, [endSession, release]);
    throw await this.refusal(blob);
  }

  async linkedBlobSize(repository: string, digest: string): Promise<number | undefined> {
    // Hot path (every blob GET/HEAD): a plain SQL template costs half of a built query.
    const row = await first(sql<{ size: number | string }>`select size from repo_blobs where repository = ${repository} and digest = ${digest}`, this.base);
    return row === undefined ? undefined : Number(row.size);
  }

  async repositoriesWithBlob(digest: string, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom("repo_blobs").select("repository").where("digest", "=", digest).orderBy("repository").limit(limit).execute();
    return rows.map((r) => r.repository);
  }

  async unlinkBlob(repository: string, digest: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("repo_blobs")
      .where("repository", "=", repository)
      .where("digest", "=", digest)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async linkedBlobSizes(repository: string, digests: string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (const batch of batches(unique(digests))) {
      const query = this.db.selectFrom("repo_blobs").select(["digest", "size"]).where("repository", "=", repository).where("digest", "in", batch);
      for (const r of await rows(query, this.base)) found.set(r.digest, Number(r.size));
    }
    return found;
  }

  async putManifest(manifest: NewManifest, references: ManifestReference[], tag?: string): Promise<void> {
    const { repository, digest } = manifest;
    const db = this.db;
    const blobs = unique(references.filter((r) => r.kind === "blob").map((r) => r.child)).sort();
    const children = unique(references.filter((r) => r.kind === "manifest").map((r) => r.child)).sort();
    const writes: (Compilable | Requirement)[] = [...this.creation.writes(repository, manifest.pushedAt)];
    // What it references is checked again here, after the rows a sweep would change are locked
    // (PostgreSQL), so a sweep between the service's check and this write cannot go unnoticed.
    if (blobs.length > 0) {
      const lock = lockRows(this.base, db.selectFrom("blobs").select("digest").where("digest", "in", blobs).orderBy("digest"), "share");
      if (lock) writes.push(lock);
      writes.push(
        requireRow(sql`select 1 where (select count(*) from repo_blobs where repository = ${repository} and digest in (${sql.join(blobs)})) = cast(${blobs.length} as integer)`),
      );
    }
    const locked = unique([digest, ...children]).sort();
    const lock = lockRows(this.base, db.selectFrom("manifests").select("digest").where("repository", "=", repository).where("digest", "in", locked).orderBy("digest"), "share");
    if (lock) writes.push(lock);
    if (children.length > 0) {
      writes.push(
        requireRow(sql`select 1 where (select count(*) from manifests where repository = ${repository} and digest in (${sql.join(children)})) = cast(${children.length} as integer)`),
      );
    }
    writes.push(
      db
        .insertInto("manifests")
        .values({
          repository,
          digest,
          media_type: manifest.mediaType,
          artifact_type: manifest.artifactType,
          size: manifest.size,
          content: manifest.content,
          subject: manifest.subject,
          annotations: manifest.annotations ? JSON.stringify(manifest.annotations) : null,
          pushed_at: manifest.pushedAt,
          pushed_by: manifest.pushedBy ?? null,
          last_pulled_at: null,
          untagged_since: tag === undefined ? manifest.pushedAt : null,
        })
        .onConflict((oc) => oc.columns(["repository", "digest"]).doNothing()),
    );
    const refs = uniqueBy(references, (r) => r.child).map((r) => ({ repository, parent: digest, child: r.child, kind: r.kind }));
    for (const batch of batches(refs, 200)) {
      writes.push(db.insertInto("manifest_refs").values(batch).onConflict((oc) => oc.columns(["repository", "parent", "child"]).doNothing()));
    }
    if (tag !== undefined) {
      // The manifest the tag leaves is untagged from now if this was its last tag (retention counts from here).
      writes.push(sql`update manifests set untagged_since = ${manifest.pushedAt} where repository = ${repository} and digest <> ${digest}
        and digest = (select t.digest from tags t where t.repository = ${repository} and t.name = ${tag})
        and (select count(*) from tags c where c.repository = ${repository} and c.digest = manifests.digest) = 1`);
      writes.push(sql`update manifests set untagged_since = null where repository = ${repository} and digest = ${digest} and untagged_since is not null`);
      // An immutable repository's tag moves to nothing else: the upsert then changes no row, returns
      // none, and the whole write is undone. On PostgreSQL the conflicting row is locked and read
      // afresh, so two racing first pushes of one tag cannot both win.
      writes.push(
        requireRow(sql`insert into tags (repository, name, digest, updated_at) values (${repository}, ${tag}, ${digest}, ${manifest.pushedAt})
          on conflict (repository, name) do update set digest = excluded.digest, updated_at = excluded.updated_at
          where tags.digest = excluded.digest or not ${immutable(repository)} returning name`),
      );
    }
    if (await writeAll(this.base, writes)) return;
    const linked = await this.linkedBlobSizes(repository, blobs);
    const missing = [...blobs.filter((d) => !linked.has(d)), ...(await this.missingManifests(repository, children))];
    if (missing.length > 0) throw new MissingReferences(missing);
    if (tag !== undefined && (await this.repositoryExists(repository))) {
      const current = await this.resolveTag(repository, tag);
      if (current !== undefined && current !== digest) throw new TagImmutable(repository, tag, "move");
    }
    throw await this.creation.refusal(repository);
  }

  // Manifest reads are the hottest queries of a registry: plain SQL templates, no query building,
  // and kept in memory while the database stays unchanged.
  async getManifest(repository: string, digest: string): Promise<ManifestRecord | undefined> {
    return this.cachedManifest(`d\n${repository}\n${digest}`, () =>
      first(sql<ManifestRow>`select * from manifests where repository = ${repository} and digest = ${digest}`, this.base),
    );
  }

  async getTaggedManifest(repository: string, tag: string): Promise<ManifestRecord | undefined> {
    return this.cachedManifest(`t\n${repository}\n${tag}`, () =>
      first(
        sql<ManifestRow>`select m.* from tags t join manifests m on m.repository = t.repository and m.digest = t.digest
          where t.repository = ${repository} and t.name = ${tag}`,
        this.base,
      ),
    );
  }

  private cachedManifest(key: string, read: () => Promise<ManifestRow | undefined>): Promise<ManifestRecord | undefined> {
    return this.manifests.remember(key, version(this.base), async () => {
      const row = await read();
      return row && toManifest(row);
    });
  }

  async missingManifests(repository: string, digests: string[]): Promise<string[]> {
    if (digests.length === 0) return [];
    const found = new Set<string>();
    for (const batch of batches(unique(digests))) {
      const query = this.db.selectFrom("manifests").select("digest").where("repository", "=", repository).where("digest", "in", batch);
      for (const r of await rows(query, this.base)) found.add(r.digest);
    }
    return unique(digests).filter((d) => !found.has(d));
  }

  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    return writeTransaction(this.base, async (trx) => {
      const kept = await sql<{ name: string }>`select name from tags where repository = ${repository} and digest = ${digest} and ${immutable(repository)}
        order by name limit 1`.execute(trx);
      if (kept.rows[0]) throw new TagImmutable(repository, kept.rows[0].name, "delete");
      await trx.deleteFrom("tags").where("repository", "=", repository).where("digest", "=", digest).execute();
      await trx.deleteFrom("manifest_refs").where("repository", "=", repository).where("parent", "=", digest).execute();
      const result = await trx
        .deleteFrom("manifests")
        .where("repository", "=", repository)
        .where("digest", "=", digest)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async recordPulls(events: PullEvent[]): Promise<void> {
    if (events.length === 0) return;
    await writeTransaction(this.base, async (trx) => {
      for (const e of events) {
        await trx
          .updateTable("manifests")
          .set({ pull_count: sql<number>`pull_count + ${e.count}`, last_pulled_at: e.at })
          .where("repository", "=", e.repository)
          .where("digest", "=", e.digest)
          .execute();
      }
    });
  }

  async recordUsage(events: UsageEvent[]): Promise<void> {
    if (events.length === 0) return;
    await writeTransaction(this.base, async (trx) => {
      for (const e of events) {
        await sql`insert into usage_daily (repository, day, pulls, egress_bytes) values (${e.repository}, ${e.day}, ${e.pulls}, ${e.egressBytes})
          on conflict (repository, day) do update set pulls = usage_daily.pulls + excluded.pulls,
          egress_bytes = usage_daily.egress_bytes + excluded.egress_bytes`.execute(trx);
      }
    });
  }

  async dailyUsage(scope: UsageScope, fromDay: number): Promise<DailyUsage[]> {
    const which =
      "repository" in scope
        ? sql`repository = ${scope.repository}`
        : sql`repository > ${`${scope.namespace}/`} and repository < ${`${scope.namespace}0`}`;
    const found = await sql<{ day: number | string; pulls: number | string; egress: number | string }>`select day, sum(pulls) as pulls,
      sum(egress_bytes) as egress from usage_daily where ${which} and day >= ${fromDay} group by day order by day`.execute(this.db);
    return found.rows.map((r) => ({ day: Number(r.day), pulls: Number(r.pulls), egressBytes: Number(r.egress) }));
  }

  async storedBytes(names: string[]): Promise<Map<string, number>> {
    const stored = new Map<string, number>(names.map((n) => [n, 0]));
    for (const batch of batches(unique(names))) {
      const sums = await this.db
        .selectFrom("repo_blobs")
        .select(["repository", (eb) => eb.fn.sum<number | string>("size").as("size")])
        .where("repository", "in", batch)
        .groupBy("repository")
        .execute();
      for (const r of sums) stored.set(r.repository, Number(r.size ?? 0));
    }
    return stored;
  }

  async tenancyStoredBytes(namespace: string): Promise<number> {
    return this.quota.used(namespace);
  }

  async storageRefusal(repository: string, adding: number, digest?: string): Promise<StorageQuotaExceeded | undefined> {
    return this.quota.refusal(repository, adding, digest);
  }

  async resolveTag(repository: string, tag: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom("tags")
      .select("digest")
      .where("repository", "=", repository)
      .where("name", "=", tag)
      .executeTakeFirst();
    return row?.digest;
  }

  async listTags(repository: string, page: Page): Promise<string[]> {
    let query = this.db
      .selectFrom("tags")
      .select("name")
      .where("repository", "=", repository)
      .orderBy("name")
      .limit(page.limit);
    if (page.last !== undefined) query = query.where("name", ">", page.last);
    return (await query.execute()).map((r) => r.name);
  }

  async listTagRecords(repository: string, page: Page): Promise<TagRecord[]> {
    let query = this.db.selectFrom("tags").select(["name", "digest", "updated_at"]).where("repository", "=", repository).orderBy("name").limit(page.limit);
    if (page.last !== undefined) query = query.where("name", ">", page.last);
    if (page.filter) query = query.where(nameContains(page.filter));
    const tags = await query.execute();
    const sizes = await this.imageSizes(repository, tags.map((t) => t.digest));
    return tags.map((t) => ({ name: t.name, digest: t.digest, size: sizes.get(t.digest) ?? 0, pushedAt: Number(t.updated_at) }));
  }

  async tagsOf(repository: string, digest: string): Promise<string[]> {
    const rows = await this.db.selectFrom("tags").select("name").where("repository", "=", repository).where("digest", "=", digest).orderBy("name").execute();
    return rows.map((r) => r.name);
  }

  async imageSizes(repository: string, digests: string[]): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    for (const batch of batches(unique(digests))) {
      // One level of children is all an image has (an index lists image manifests).
      const found = await sql<{ digest: string; total: number | string }>`
        select m.digest, m.size
          + coalesce((select sum(b.size) from repo_blobs b where b.repository = m.repository and b.digest in (
              select r.child from manifest_refs r where r.repository = m.repository and r.parent = m.digest and r.kind = 'blob'
              union
              select g.child from manifest_refs c join manifest_refs g on g.repository = c.repository and g.parent = c.child and g.kind = 'blob'
                where c.repository = m.repository and c.parent = m.digest and c.kind = 'manifest')), 0)
          + coalesce((select sum(x.size) from manifest_refs c join manifests x on x.repository = c.repository and x.digest = c.child
              where c.repository = m.repository and c.parent = m.digest and c.kind = 'manifest'), 0) as total
        from manifests m where m.repository = ${repository} and m.digest in (${sql.join(batch)})`.execute(this.db);
      for (const r of found.rows) sizes.set(r.digest, Number(r.total));
    }
    return sizes;
  }

  async listManifests(repository: string, page: Page): Promise<ManifestSummary[]> {
    let query = this.db
      .selectFrom("manifests")
      .select(["digest", "media_type", "artifact_type", "size", "pushed_at", "pushed_by", "last_pulled_at", "pull_count"])
      // An index's platforms are in its own bytes (no blob to read); an image's bytes stay in the database.
      .select(sql<Uint8Array | null>`case when media_type in (${sql.join([...INDEX_TYPES])}) then content else null end`.as("index_content"))
      .where("repository", "=", repository)
      .orderBy("digest")
      .limit(page.limit);
    if (page.last !== undefined) query = query.where("digest", ">", page.last);
    const rows = await query.execute();
    const tags = new Map<string, string[]>(rows.map((r) => [r.digest, []]));
    if (rows.length > 0) {
      const tagged = await this.db
        .selectFrom("tags")
        .select(["name", "digest"])
        .where("repository", "=", repository)
        .where("digest", "in", [...tags.keys()])
        .orderBy("name")
        .execute();
      for (const t of tagged) tags.get(t.digest)!.push(t.name);
    }
    const sizes = await this.imageSizes(repository, [...tags.keys()]);
    return rows.map((r) => ({
      digest: r.digest,
      mediaType: r.media_type,
      artifactType: r.artifact_type,
      size: sizes.get(r.digest) ?? Number(r.size),
      pushedAt: Number(r.pushed_at),
      pushedBy: r.pushed_by,
      lastPulledAt: r.last_pulled_at === null ? null : Number(r.last_pulled_at),
      pullCount: Number(r.pull_count),
      tags: tags.get(r.digest)!,
      ...(r.index_content ? { platforms: platformsOf(r.index_content, r.media_type) } : {}),
    }));
  }

  async deleteTag(repository: string, tag: string, at = Date.now()): Promise<boolean> {
    const deleted = await writeTransaction(this.base, async (trx) => {
      const gone = await sql<{ digest: string }>`delete from tags where repository = ${repository} and name = ${tag} and not ${immutable(repository)} returning digest`.execute(trx);
      const digest = gone.rows[0]?.digest;
      if (digest === undefined) return false;
      // The manifest left without tags is untagged from now (retention counts from here).
      await sql`update manifests set untagged_since = ${at} where repository = ${repository} and digest = ${digest}
        and not exists (select 1 from tags c where c.repository = ${repository} and c.digest = ${digest})`.execute(trx);
      return true;
    });
    if (deleted) return true;
    if ((await this.resolveTag(repository, tag)) !== undefined) throw new TagImmutable(repository, tag, "delete");
    return false;
  }

  async listReferrers(repository: string, subject: string, artifactType?: string): Promise<ReferrerRecord[]> {
    let query = this.db
      .selectFrom("manifests")
      .select(["digest", "media_type", "artifact_type", "size", "annotations", "pushed_at"])
      .where("repository", "=", repository)
      .where("subject", "=", subject)
      .orderBy("pushed_at")
      .orderBy("digest");
    if (artifactType !== undefined) query = query.where("artifact_type", "=", artifactType);
    return (await query.execute()).map((r) => ({
      digest: r.digest,
      mediaType: r.media_type,
      artifactType: r.artifact_type,
      size: Number(r.size),
      annotations: r.annotations ? (JSON.parse(r.annotations) as Record<string, string>) : null,
      pushedAt: Number(r.pushed_at),
    }));
  }

  async createUpload(upload: Pick<UploadRecord, "id" | "repository" | "createdAt" | "updatedAt">): Promise<void> {
    const values = { id: upload.id, repository: upload.repository, created_at: upload.createdAt, updated_at: upload.updatedAt, leased_until: null };
    const insert = this.db.insertInto("uploads").values(values);
    // With limits, a session for a repository that could not be created now is refused before its bytes.
    const room = this.creation.existsOrRoom(upload.repository);
    if (!(await writeAll(this.base, room ? [room, insert] : [insert]))) throw await this.creation.refusal(upload.repository);
  }

  async getUpload(id: string): Promise<UploadRecord | undefined> {
    const row = await first(this.db.selectFrom("uploads").selectAll().where("id", "=", id), this.base);
    return row ? toUpload(row) : undefined;
  }

  async leaseUpload(id: string, now: number, until: number, holder?: string, replacing?: string): Promise<UploadRecord | undefined> {
    const row = await first(
      sql<UploadRow>`update uploads set leased_until = ${until}, leased_by = ${holder ?? null}, updated_at = ${now}
        where id = ${id} and (leased_until is null or leased_until < ${now} or leased_by = ${replacing ?? null}) returning *`,
      this.base,
    );
    return row ? toUpload(row) : undefined;
  }

  async renewUploadLease(id: string, holder: string, until: number): Promise<boolean> {
    const row = await first(sql<{ id: string }>`update uploads set leased_until = ${until} where id = ${id} and leased_by = ${holder} returning id`, this.base);
    return row !== undefined;
  }

  async recordUploadCheckpoint(id: string, holder: string, checkpoint: UploadProgress): Promise<boolean> {
    const saved = JSON.stringify({
      size: checkpoint.size,
      hashState: checkpoint.hashState && Buffer.from(checkpoint.hashState).toString("base64"),
      writerState: checkpoint.writerState,
    });
    const row = await first(sql<{ id: string }>`update uploads set checkpoint = ${saved} where id = ${id} and leased_by = ${holder} returning id`, this.base);
    return row !== undefined;
  }

  async recordUploadProgress(id: string, holder: string, progress: UploadProgress): Promise<boolean> {
    const row = await first(
      sql<{ id: string }>`update uploads set size = ${progress.size}, hash_state = ${progress.hashState}, writer_state = ${progress.writerState},
        checkpoint = null where id = ${id} and leased_by = ${holder} returning id`,
      this.base,
    );
    return row !== undefined;
  }

  async releaseUpload(id: string, holder?: string, progress?: UploadProgress): Promise<void> {
    const saved = progress && { size: progress.size, hash_state: progress.hashState, writer_state: progress.writerState, checkpoint: null };
    let query = this.db.updateTable("uploads").set({ leased_until: null, leased_by: null, ...saved }).where("id", "=", id);
    if (holder !== undefined) query = query.where("leased_by", "=", holder);
    await writeAll(this.base, [query]);
  }

  async deleteUpload(id: string): Promise<void> {
    await this.db.deleteFrom("uploads").where("id", "=", id).execute();
  }

  async staleUploads(before: number, limit: number): Promise<UploadRecord[]> {
    const rows = await this.db
      .selectFrom("uploads")
      .selectAll()
      .where("updated_at", "<", before)
      // A session someone is writing to right now is not abandoned, however old.
      .where((eb) => eb.or([eb("leased_until", "is", null), eb("leased_until", "<", before)]))
      .orderBy("updated_at")
      .limit(limit)
      .execute();
    return rows.map(toUpload);
  }

  /**
   * Records the blob, or marks it linked at `at` (`linked`), unless a sweep has claimed it; on
   * PostgreSQL this locks its row until the transaction ends, so a sweep's claim waits or is seen.
   */
  private touchBlob({ digest, size, at }: Pick<BlobLink, "digest" | "size" | "at">, linked = true): Compilable[] {
    const set = linked ? sql`linked_at = excluded.linked_at` : sql`linked_at = blobs.linked_at`;
    return [
      sql`insert into blobs (digest, size, created_at, linked_at) values (${digest}, ${size}, ${at}, ${at})
        on conflict (digest) do update set ${set} where blobs.claimed_by is null`,
    ];
  }

  /** The quota's check inside a write that links `link` (none without limits). */
  private quotaKept(link: Pick<BlobLink, "repository" | "digest" | "size">): Requirement[] {
    const within = this.quota.within(link.repository, link.digest, link.size);
    return within ? [within] : [];
  }

  /** Why a link was refused: the quota, else the repository limit (read after the refused write). */
  private async refusal(link: Pick<BlobLink, "repository" | "digest" | "size">): Promise<Error> {
    return (await this.quota.refusal(link.repository, link.size, link.digest)) ?? (await this.creation.refusal(link.repository));
  }

  private insertLink({ repository, digest, size, at }: BlobLink): Compilable {
    return this.db
      .insertInto("repo_blobs")
      .values({ repository, digest, size, created_at: at })
      .onConflict((oc) => oc.columns(["repository", "digest"]).doNothing());
  }
}

/** The repository of uploads whose repository was deleted: no request names it, the purger ends them. */
const DETACHED = "";

/** The repository's tags are immutable (a condition on its row). */
function immutable(repository: string) {
  return sql`exists (select 1 from repositories where name = ${repository} and immutable_tags = 1)`;
}

/** A blob row that no sweep has claimed: the write it is part of is undone otherwise. */
function unclaimed(digest: string): Requirement {
  return requireRow(sql`select 1 from blobs where digest = ${digest} and claimed_by is null`);
}

/** The least string greater than every string starting with `prefix` (byte order). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * Names containing `filter`, ASCII case ignored, in a LIKE whose wildcards in the filter are
 * escaped (`%`, `_` and the escape character itself match only themselves).
 */
function nameContains(filter: string) {
  return sql<boolean>`lower(name) like ${`%${escapeLike(filter.toLowerCase())}%`} escape '!'`;
}

function platformsOf(content: Uint8Array, mediaType: string): Platform[] {
  const described = describeManifest(content, mediaType);
  return described.kind === "index" ? described.manifests.flatMap((m) => (m.platform ? [m.platform] : [])) : [];
}
