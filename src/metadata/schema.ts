// Table shapes for the Kysely query layer. Timestamps are epoch milliseconds.
import type { ColumnType, Generated } from "kysely";

/** PostgreSQL returns int8 as string; SQLite as number. Readers normalise with Number(). */
type Int = ColumnType<number | string, number, number>;

export interface Database {
  repositories: { name: string; created_at: Int; is_public: Generated<number>; immutable_tags: Generated<number> };
  repo_blobs: { repository: string; digest: string; size: Int; created_at: Int };
  manifests: {
    repository: string;
    digest: string;
    media_type: string;
    artifact_type: string | null;
    size: Int;
    content: Uint8Array;
    subject: string | null;
    annotations: string | null;
    pushed_at: Int;
    last_pulled_at: Int | null;
    pull_count: Generated<number>;
    /** when it lost its last tag; its push when pushed without one; null while tagged (0011_retention) */
    untagged_since: Int | null;
    /** `<tenancy>/<user>` who pushed it first, null when unknown (0014_pushed_by) */
    pushed_by: Generated<string | null>;
  };
  /**
   * one row per blob in the blob store (0010_blobs): written with the commit or link that creates
   * or links it; `claimed_by` marks a blob garbage collection is deleting (src/lifecycle/gc.ts)
   */
  blobs: { digest: string; size: Int; created_at: Int; linked_at: Int; claimed_by: string | null; claimed_at: Int | null };
  /** a commit about to move bytes to a blob's key: garbage collection leaves that blob alone until it ends */
  blob_holds: { digest: string; holder: string; until: Int };
  manifest_refs: { repository: string; parent: string; child: string; kind: string };
  tags: { repository: string; name: string; digest: string; updated_at: Int };
  uploads: {
    id: string;
    repository: string;
    created_at: Int;
    updated_at: Int;
    leased_until: Int | null;
    leased_by: string | null;
    size: ColumnType<number | string, number | undefined, number>;
    hash_state: Uint8Array | null;
    writer_state: string | null;
    checkpoint: string | null;
  };
  tenancies: { namespace: string; description: string; repository_limit: number; created_at: Int; storage_quota: ColumnType<number | string | null, number | null | undefined, number | null> };
  /** pulls and egress bytes per repository and UTC day (`day`: days since the epoch), 0012_usage */
  usage_daily: { repository: string; day: number; pulls: Int; egress_bytes: Int };
  users: { id: string; tenancy: string; name: string; description: string; created_at: Int };
  groups: { id: string; tenancy: string; name: string; name_key: string; description: string; created_at: Int };
  group_members: { group_id: string; user_id: string };
  policies: { id: string; tenancy: string; name: string; description: string; statements: string; created_at: Int };
  auth_tokens: { id: string; user_id: string; description: string; hash: string; created_at: Int; last_used_at: Int | null };
  login_failures: { key: string; count: number; reset_at: Int };
  /** a user's console password: `scrypt$…` (src/auth/password-hash.ts) */
  console_passwords: { user_id: string; hash: string; updated_at: Int };
  /** console sessions by the SHA-256 of their id; `token_id`: the auth token signed in with, if any */
  sessions: { id_hash: string; user_id: string; token_id: string | null; created_at: Int; last_used_at: Int; expires_at: Int };
  /** one row (id 1): moves with every change to users, groups, memberships, policies, tenancies, token deletions */
  iam_version: { id: number; version: Int };
  signing_keys: { kid: string; private_jwk: string; public_jwk: string; created_at: Int; retired_at: Int | null };
  /** one row per background job: who holds its lease, until when, and when it is next due */
  jobs: { name: string; holder: string | null; lease_until: Int; next_run_at: Int };
  /** a tenancy's retention policies (0011_retention): `global` is its global one, the others overrides */
  retention_policies: { tenancy: string; name: string; rules: string; created_at: Int; changed_at: Int };
  /** the override policy a repository is in: at most one, by the primary key */
  retention_repositories: { repository: string; tenancy: string; policy: string; added_at: Int };
  /** one row per run of a background job (src/jobs/runs.ts) */
  job_runs: {
    id: string;
    job: string;
    trigger: string;
    dry_run: number;
    state: string;
    progress: string;
    error: string | null;
    started_at: Int;
    finished_at: Int | null;
    heartbeat_at: Int;
  };
  audit_events: {
    at: Int;
    tenancy: string | null;
    actor: string;
    action: string;
    target: string;
    outcome: string;
    address: string | null;
    detail: string | null;
  };
}
