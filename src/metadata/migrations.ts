// Schema migrations, written once for every SQL backend. The dialect differences (the binary
// column type, trigger syntax) are decided here, so no SQL dialect detail leaks into the store.
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from "kysely";
import { MetadataUnavailable } from "./store.js";

export type SqlDialect = "sqlite" | "postgres";

function migrations(dialect: SqlDialect): Record<string, Migration> {
  const binary = dialect === "postgres" ? "bytea" : "blob";
  // Names are compared by range (a tenancy's repositories, a prefix) and listed in the lexical
  // order the OCI spec asks for: byte order on both, whatever the PostgreSQL cluster's locale.
  const text = dialect === "postgres" ? sql`text collate "C"` : "text";
  return {
    "0001_core": {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable("repositories")
          .addColumn("name", text, (c) => c.primaryKey())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("repo_blobs")
          .addColumn("repository", text, (c) => c.notNull())
          .addColumn("digest", text, (c) => c.notNull())
          .addColumn("size", "bigint", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("repo_blobs_pk", ["repository", "digest"])
          .execute();
        await db.schema.createIndex("repo_blobs_digest").on("repo_blobs").column("digest").execute();
        await db.schema
          .createTable("manifests")
          .addColumn("repository", text, (c) => c.notNull())
          .addColumn("digest", text, (c) => c.notNull())
          .addColumn("media_type", text, (c) => c.notNull())
          .addColumn("artifact_type", text)
          .addColumn("size", "bigint", (c) => c.notNull())
          .addColumn("content", binary, (c) => c.notNull())
          .addColumn("subject", text)
          .addColumn("annotations", text)
          .addColumn("pushed_at", "bigint", (c) => c.notNull())
          .addColumn("last_pulled_at", "bigint")
          .addColumn("pull_count", "bigint", (c) => c.notNull().defaultTo(0))
          .addPrimaryKeyConstraint("manifests_pk", ["repository", "digest"])
          .execute();
        await db.schema.createIndex("manifests_subject").on("manifests").columns(["repository", "subject"]).execute();
        await db.schema
          .createTable("manifest_refs")
          .addColumn("repository", text, (c) => c.notNull())
          .addColumn("parent", text, (c) => c.notNull())
          .addColumn("child", text, (c) => c.notNull())
          .addColumn("kind", text, (c) => c.notNull())
          .addPrimaryKeyConstraint("manifest_refs_pk", ["repository", "parent", "child"])
          .execute();
        await db.schema.createIndex("manifest_refs_child").on("manifest_refs").columns(["repository", "child"]).execute();
        await db.schema
          .createTable("tags")
          .addColumn("repository", text, (c) => c.notNull())
          .addColumn("name", text, (c) => c.notNull())
          .addColumn("digest", text, (c) => c.notNull())
          .addColumn("updated_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("tags_pk", ["repository", "name"])
          .execute();
        await db.schema.createIndex("tags_digest").on("tags").columns(["repository", "digest"]).execute();
        await db.schema
          .createTable("uploads")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("repository", text, (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("updated_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("uploads_updated").on("uploads").column("updated_at").execute();
      },
    },
    "0002_iam": {
      async up(db: Kysely<any>) {
        await db.schema.alterTable("repositories").addColumn("is_public", "integer", (c) => c.notNull().defaultTo(0)).execute();
        await db.schema
          .createTable("tenancies")
          .addColumn("namespace", text, (c) => c.primaryKey())
          .addColumn("description", text, (c) => c.notNull())
          .addColumn("repository_limit", "integer", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("users")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("tenancy", text, (c) => c.notNull())
          .addColumn("name", text, (c) => c.notNull())
          .addColumn("description", text, (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addUniqueConstraint("users_name", ["tenancy", "name"])
          .execute();
        await db.schema
          .createTable("groups")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("tenancy", text, (c) => c.notNull())
          .addColumn("name", text, (c) => c.notNull())
          // group names are case-insensitive in policies, so they are unique case-insensitively
          .addColumn("name_key", text, (c) => c.notNull())
          .addColumn("description", text, (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addUniqueConstraint("groups_name", ["tenancy", "name_key"])
          .execute();
        await db.schema
          .createTable("group_members")
          .addColumn("group_id", text, (c) => c.notNull())
          .addColumn("user_id", text, (c) => c.notNull())
          .addPrimaryKeyConstraint("group_members_pk", ["group_id", "user_id"])
          .execute();
        await db.schema.createIndex("group_members_user").on("group_members").column("user_id").execute();
        await db.schema
          .createTable("policies")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("tenancy", text, (c) => c.notNull())
          .addColumn("name", text, (c) => c.notNull())
          .addColumn("description", text, (c) => c.notNull())
          .addColumn("statements", text, (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addUniqueConstraint("policies_name", ["tenancy", "name"])
          .execute();
        await db.schema
          .createTable("auth_tokens")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("user_id", text, (c) => c.notNull())
          .addColumn("description", text, (c) => c.notNull())
          .addColumn("hash", text, (c) => c.notNull().unique())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("last_used_at", "bigint")
          .execute();
        await db.schema.createIndex("auth_tokens_user").on("auth_tokens").column("user_id").execute();
        await db.schema
          .createTable("signing_keys")
          .addColumn("kid", text, (c) => c.primaryKey())
          .addColumn("private_jwk", text, (c) => c.notNull())
          .addColumn("public_jwk", text, (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("retired_at", "bigint")
          .execute();
        await db.schema
          .createTable("audit_events")
          .addColumn("at", "bigint", (c) => c.notNull())
          .addColumn("tenancy", text)
          .addColumn("actor", text, (c) => c.notNull())
          .addColumn("action", text, (c) => c.notNull())
          .addColumn("target", text, (c) => c.notNull())
          .addColumn("outcome", text, (c) => c.notNull())
          .addColumn("address", text)
          .addColumn("detail", text)
          .execute();
        await db.schema.createIndex("audit_events_at").on("audit_events").columns(["tenancy", "at"]).execute();
      },
    },
    "0003_upload_lease": {
      async up(db: Kysely<any>) {
        // One writer per upload session across processes and nodes: a lease, not a lock held by a
        // connection, so a crashed writer frees the session when the lease runs out.
        await db.schema.alterTable("uploads").addColumn("leased_until", "bigint").execute();
      },
    },
    "0004_login_failures": {
      async up(db: Kysely<any>) {
        // Failed-login counters live in the shared store so every process and node counts together.
        await db.schema
          .createTable("login_failures")
          .addColumn("key", text, (c) => c.primaryKey())
          .addColumn("count", "integer", (c) => c.notNull())
          .addColumn("reset_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("login_failures_reset").on("login_failures").column("reset_at").execute();
      },
    },
    "0005_iam_version": {
      async up(db: Kysely<any>) {
        // One number that moves in the same transaction as any change to who may do what, so every
        // process (and node) can tell per request whether its cached principals and policies still hold.
        await db.schema
          .createTable("iam_version")
          .addColumn("id", "integer", (c) => c.primaryKey())
          .addColumn("version", "bigint", (c) => c.notNull())
          .execute();
        await db.insertInto("iam_version").values({ id: 1, version: 0 }).execute();
        for (const statement of iamVersionTriggers(dialect)) await sql.raw(statement).execute(db);
      },
    },
    "0006_upload_lease_holder": {
      async up(db: Kysely<any>) {
        // Who holds an upload's lease, so that a process of the same machine can see that the
        // holder died and take the session over without waiting for the lease to run out.
        await db.schema.alterTable("uploads").addColumn("leased_by", text).execute();
      },
    },
    "0007_upload_progress": {
      async up(db: Kysely<any>) {
        // What any process on any node needs to continue an upload: the bytes acknowledged, the
        // running hash's saved state and the storage writer's, and the last checkpoint of a
        // request still writing (JSON), for whoever takes over from it if it dies. A session
        // opened before this migration restarts at 0 (its client is told Range 0-0).
        await db.schema.alterTable("uploads").addColumn("size", "bigint", (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.alterTable("uploads").addColumn("hash_state", binary).execute();
        await db.schema.alterTable("uploads").addColumn("writer_state", "text").execute();
        await db.schema.alterTable("uploads").addColumn("checkpoint", "text").execute();
      },
    },
    "0008_jobs": {
      async up(db: Kysely<any>) {
        // Leases on background jobs (src/jobs/leases.ts): any process may hold one, one at a time.
        await db.schema
          .createTable("jobs")
          .addColumn("name", "text", (c) => c.primaryKey())
          .addColumn("holder", "text")
          .addColumn("lease_until", "bigint", (c) => c.notNull())
          .addColumn("next_run_at", "bigint", (c) => c.notNull())
          .execute();
      },
    },
    "0009_console_sessions": {
      async up(db: Kysely<any>) {
        // A console password (scrypt, with its salt and parameters, in one string) and console
        // sessions (src/auth/sessions.ts). Apart from `users`, whose changes move the IAM version:
        // a password set or a session opened changes nobody's access.
        await db.schema
          .createTable("console_passwords")
          .addColumn("user_id", text, (c) => c.primaryKey())
          .addColumn("hash", text, (c) => c.notNull())
          .addColumn("updated_at", "bigint", (c) => c.notNull())
          .execute();
        // `id_hash`: SHA-256 of the session id the cookie carries; the id itself is never stored.
        await db.schema
          .createTable("sessions")
          .addColumn("id_hash", text, (c) => c.primaryKey())
          .addColumn("user_id", text, (c) => c.notNull())
          .addColumn("token_id", text)
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("last_used_at", "bigint", (c) => c.notNull())
          .addColumn("expires_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("sessions_user").on("sessions").column("user_id").execute();
        await db.schema.createIndex("sessions_expires").on("sessions").column("expires_at").execute();
      },
    },
    "0010_blobs": {
      async up(db: Kysely<any>) {
        // The global blob set, so garbage collection never lists the bucket: one row per stored
        // blob, written in the same transaction as the commit or link that creates or links it.
        await db.schema
          .createTable("blobs")
          .addColumn("digest", text, (c) => c.primaryKey())
          .addColumn("size", "bigint", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("linked_at", "bigint", (c) => c.notNull())
          .addColumn("claimed_by", text)
          .addColumn("claimed_at", "bigint")
          .execute();
        await db.schema.createIndex("blobs_linked").on("blobs").column("linked_at").execute();
        await db.schema
          .createTable("blob_holds")
          .addColumn("digest", text, (c) => c.notNull())
          .addColumn("holder", text, (c) => c.notNull())
          .addColumn("until", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("blob_holds_pk", ["digest", "holder"])
          .execute();
        // "Does any manifest, in any repository, reference this digest?" for the sweep.
        await db.schema.createIndex("manifest_refs_child_any").on("manifest_refs").column("child").execute();
        // Registries from before: every linked blob, as old as its first link.
        await sql`insert into blobs (digest, size, created_at, linked_at)
          select digest, max(size), min(created_at), max(created_at) from repo_blobs group by digest`.execute(db);
      },
    },
    "0011_retention": {
      async up(db: Kysely<any>) {
        await db.schema.alterTable("manifests").addColumn("untagged_since", "bigint").execute();
        // Untagged before this migration: since when is unknown, so the count starts now (never earlier than true).
        await sql`update manifests set untagged_since = ${Date.now()}
          where not exists (select 1 from tags t where t.repository = manifests.repository and t.digest = manifests.digest)`.execute(db);
        await db.schema
          .createTable("retention_policies")
          .addColumn("tenancy", text, (c) => c.notNull())
          .addColumn("name", text, (c) => c.notNull())
          .addColumn("rules", text, (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("changed_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("retention_policies_pk", ["tenancy", "name"])
          .execute();
        // The primary key is what keeps a repository in at most one override.
        await db.schema
          .createTable("retention_repositories")
          .addColumn("repository", text, (c) => c.primaryKey())
          .addColumn("tenancy", text, (c) => c.notNull())
          .addColumn("policy", text, (c) => c.notNull())
          .addColumn("added_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("retention_repositories_policy").on("retention_repositories").columns(["tenancy", "policy"]).execute();
      },
    },
    "0012_usage": {
      async up(db: Kysely<any>) {
        // Bytes a tenancy may store (null: no quota); tags of a repository that may not move.
        await db.schema.alterTable("tenancies").addColumn("storage_quota", "bigint").execute();
        await db.schema.alterTable("repositories").addColumn("immutable_tags", "integer", (c) => c.notNull().defaultTo(0)).execute();
        // Pulls and egress per repository and UTC day (days since the epoch), added to in batches.
        await db.schema
          .createTable("usage_daily")
          .addColumn("repository", text, (c) => c.notNull())
          .addColumn("day", "integer", (c) => c.notNull())
          .addColumn("pulls", "bigint", (c) => c.notNull())
          .addColumn("egress_bytes", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("usage_daily_pk", ["repository", "day"])
          .execute();
      },
    },
    "0013_job_runs": {
      async up(db: Kysely<any>) {
        // Runs of background jobs (src/jobs/runs.ts), so any process on any node can tell what the
        // last or current one did: `berth gc` polls its run here. `progress`: the job's counters (JSON).
        await db.schema
          .createTable("job_runs")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("job", text, (c) => c.notNull())
          .addColumn("trigger", text, (c) => c.notNull())
          .addColumn("dry_run", "integer", (c) => c.notNull())
          .addColumn("state", text, (c) => c.notNull())
          .addColumn("progress", text, (c) => c.notNull())
          .addColumn("error", text)
          .addColumn("started_at", "bigint", (c) => c.notNull())
          .addColumn("finished_at", "bigint")
          .addColumn("heartbeat_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("job_runs_started").on("job_runs").columns(["job", "started_at"]).execute();
      },
    },
    "0014_pushed_by": {
      async up(db: Kysely<any>) {
        // Who pushed each manifest (`<tenancy>/<user>`); null for earlier pushes and anonymous ones.
        await db.schema.alterTable("manifests").addColumn("pushed_by", text).execute();
      },
    },
    "0015_blobs_by_digest": {
      async up(db: Kysely<any>) {
        // Garbage collection walks blobs in digest order and claims them in batches. On SQLite the
        // blob and link rows are kept in digest order (WITHOUT ROWID), so a batch's rows share
        // pages instead of touching pages all over a rowid table; the last-link index had no
        // other reader. PostgreSQL's heap has no such order to choose.
        await db.schema.dropIndex("blobs_linked").ifExists().execute();
        if (dialect !== "sqlite") return;
        await rebuildWithoutRowid(db, "blobs", "digest, size, created_at, linked_at, claimed_by, claimed_at", "digest text primary key, size bigint not null, created_at bigint not null, linked_at bigint not null, claimed_by text, claimed_at bigint", []);
        await rebuildWithoutRowid(db, "repo_blobs", "repository, digest, size, created_at", "repository text not null, digest text not null, size bigint not null, created_at bigint not null, constraint repo_blobs_pk primary key (repository, digest)", [
          "create index repo_blobs_digest on repo_blobs (digest)",
        ]);
      },
    },
  };
}

/** SQLite: `table` rebuilt as WITHOUT ROWID (`definition`), its rows' `columns` kept, then `indexes` created. */
async function rebuildWithoutRowid(db: Kysely<any>, table: string, columns: string, definition: string, indexes: string[]): Promise<void> {
  await sql.raw(`create table ${table}_rebuilt (${definition}) without rowid`).execute(db);
  await sql.raw(`insert into ${table}_rebuilt (${columns}) select ${columns} from ${table}`).execute(db);
  await sql.raw(`drop table ${table}`).execute(db);
  await sql.raw(`alter table ${table}_rebuilt rename to ${table}`).execute(db);
  for (const index of indexes) await sql.raw(index).execute(db);
}

/**
 * Which writes move `iam_version`: whatever can change a principal's groups or a tenancy's
 * policies, or end a user or an auth token. An auth token's `last_used_at` (updated as it is used)
 * does not.
 */
const IAM_CHANGES: Record<string, readonly ("insert" | "update" | "delete")[]> = {
  tenancies: ["insert", "delete"],
  users: ["insert", "update", "delete"],
  groups: ["insert", "update", "delete"],
  group_members: ["insert", "update", "delete"],
  policies: ["insert", "update", "delete"],
  auth_tokens: ["delete"],
};

function iamVersionTriggers(dialect: SqlDialect): string[] {
  const bump = "update iam_version set version = version + 1 where id = 1";
  const tables = Object.entries(IAM_CHANGES);
  if (dialect === "sqlite") {
    return tables.flatMap(([table, events]) =>
      events.map((event) => `create trigger iam_version_${table}_${event} after ${event} on ${table} begin ${bump}; end`),
    );
  }
  return [
    `create function iam_version_bump() returns trigger language plpgsql as $$ begin ${bump}; return null; end $$`,
    ...tables.map(
      ([table, events]) =>
        `create trigger iam_version_${table} after ${events.join(" or ")} on ${table} for each statement execute function iam_version_bump()`,
    ),
  ];
}

/** The database holds migrations this code does not know: a newer Berth migrated it. */
export class DatabaseTooNew extends MetadataUnavailable {
  constructor(readonly unknown: string[]) {
    super(`the metadata database was migrated by a newer Berth (${unknown.join(", ")}); upgrade this node`);
  }
}

/**
 * Brings the schema up to date. Refuses (DatabaseTooNew) a database that a newer Berth migrated:
 * this code would misread its tables. Several processes may call it at once: on PostgreSQL the
 * caller holds an advisory lock around it (postgres.ts); on SQLite the migrator's transaction
 * takes the write lock.
 */
export async function migrateToLatest(db: Kysely<any>, dialect: SqlDialect): Promise<void> {
  const known = migrations(dialect);
  const unknown = (await appliedMigrations(db)).filter((name) => !(name in known));
  if (unknown.length > 0) throw new DatabaseTooNew(unknown);
  const provider: MigrationProvider = { getMigrations: async () => known };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`metadata migration ${failed} failed: ${(error as Error).message ?? String(error)}`);
  }
}

/** Names of the migrations recorded in the database (none in a new one). */
async function appliedMigrations(db: Kysely<any>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === MIGRATION_TABLE)) return [];
  const rows = await db.selectFrom(MIGRATION_TABLE).select("name").execute();
  return rows.map((r: { name: string }) => r.name);
}

const MIGRATION_TABLE = "kysely_migration";
