// Table shapes for the Kysely query layer. Timestamps are epoch milliseconds.
import type { ColumnType, Generated } from "kysely";

/** PostgreSQL returns int8 as string; SQLite as number. Readers normalise with Number(). */
type Int = ColumnType<number | string, number, number>;

export interface Database {
  repositories: { name: string; created_at: Int };
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
  };
  manifest_refs: { repository: string; parent: string; child: string; kind: string };
  tags: { repository: string; name: string; digest: string; updated_at: Int };
  uploads: { id: string; repository: string; created_at: Int; updated_at: Int };
}
