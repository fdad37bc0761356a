// Rows of the metadata tables as the store's records, and list helpers the SQL stores share.
import type { Selectable } from "kysely";
import type { Database } from "./schema.js";
import type { BlobRecord, ManifestRecord, UploadRecord } from "./store.js";

export type BlobRow = Selectable<Database["blobs"]>;

export function toBlob(row: BlobRow): BlobRecord {
  return {
    digest: row.digest,
    size: Number(row.size),
    createdAt: Number(row.created_at),
    linkedAt: Number(row.linked_at),
    claimed: row.claimed_by !== null,
  };
}

export type ManifestRow = Selectable<Database["manifests"]>;

export function toManifest(row: ManifestRow): ManifestRecord {
  return {
    repository: row.repository,
    digest: row.digest,
    mediaType: row.media_type,
    artifactType: row.artifact_type,
    size: Number(row.size),
    content: row.content,
    subject: row.subject,
    annotations: row.annotations ? (JSON.parse(row.annotations) as Record<string, string>) : null,
    pushedAt: Number(row.pushed_at),
    pushedBy: row.pushed_by,
    lastPulledAt: row.last_pulled_at === null ? null : Number(row.last_pulled_at),
    pullCount: Number(row.pull_count),
  };
}

export type UploadRow = Selectable<Database["uploads"]>;

export function toUpload(row: UploadRow): UploadRecord {
  const upload: UploadRecord = {
    id: row.id,
    repository: row.repository,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    size: Number(row.size),
    hashState: row.hash_state,
    writerState: row.writer_state,
  };
  if (row.leased_until !== null) upload.lease = { holder: row.leased_by, until: Number(row.leased_until) };
  if (row.checkpoint !== null) {
    const saved = JSON.parse(row.checkpoint) as { size: number; hashState: string | null; writerState: string | null };
    upload.checkpoint = { size: saved.size, hashState: saved.hashState === null ? null : Buffer.from(saved.hashState, "base64"), writerState: saved.writerState };
  }
  return upload;
}

export function unique(values: string[]): string[] {
  return [...new Set(values)];
}

export function uniqueBy<T>(values: T[], key: (v: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const v of values) if (!seen.has(key(v))) seen.set(key(v), v);
  return [...seen.values()];
}

/** Keeps parameter lists well under every backend's bind-variable limit. */
export function* batches<T>(values: T[], size = 500): Iterable<T[]> {
  for (let i = 0; i < values.length; i += size) yield values.slice(i, i + size);
}
