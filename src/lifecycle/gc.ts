// Online garbage collection: mark from what the metadata still records, sweep what nothing
// reaches and is older than the grace period, while pushes and pulls go on.
//
// Reachable: every manifest still stored (tagged or not), and through `manifest_refs` its config
// and layers and an index's child manifests; the mark is the database's anti-join, so the sweep
// never lists the bucket. Manifests go only by rule: a referrer whose subject is gone from its
// repository, and (gc.untagged) any untagged manifest no index lists and no subject keeps.
//
// Two writers of one content address: a commit moving bytes to `blobs/<digest>` and the sweep
// deleting them. The protocol (docs/STORAGE.md, "Garbage collection"):
// - a commit holds the digest (a `blob_holds` row, written unless the digest is claimed) before
//   it moves bytes, and its linking transaction requires that hold still there;
// - a mount or a manifest PUT checks, in the transaction that links or references a blob, that
//   the blob is unclaimed and still linked;
// - the sweep claims a blob in one transaction that locks its row and checks again that nothing
//   references it, nothing holds it and its last link is older than the grace period, and removes
//   its links in that transaction; bytes are deleted only under the claim, the row after them.
// A claimed blob is linked by nothing until its row is gone, so no writer can see bytes vanish.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { BlobRecord, ManifestKey, ManifestRule, MetadataStore } from "../metadata/store.js";
import { blobKey, uploadKey } from "../registry/storage-keys.js";
import type { UploadService } from "../registry/uploads.js";
import type { StorageDriver } from "../storage/driver.js";
import { isUploadId } from "../storage/upload-id.js";

export interface GcSettings {
  /** what was linked or pushed more recently than this is left alone (gc.grace) */
  grace: number;
  /** also collect untagged manifests (gc.untagged) */
  untagged: boolean;
  /** upload sessions untouched this long are abandoned (storage.maintenance.uploadpurging.age) */
  uploadAge: number;
  /** blobs claimed per write transaction (default CLAIM_BATCH) */
  claimBatch?: number;
}

export interface GcDeps {
  meta: MetadataStore;
  storage: StorageDriver;
  uploads: UploadService;
  now: () => number;
  log: Logger;
}

export interface GcResult {
  /** manifests removed (or, in a dry run, that would be) */
  manifests: number;
  blobs: number;
  /** bytes of those blobs */
  bytes: number;
  /** upload sessions and orphan upload files */
  uploads: number;
}

export interface GcProgress extends GcResult {
  phase: "manifests" | "blobs" | "uploads" | "done";
}

export interface GcOptions {
  /** count what would go, remove nothing */
  dryRun?: boolean;
  onProgress?: (progress: GcProgress) => void;
  /** stops the run between batches (its lease lost, the process stopping) */
  signal?: AbortSignal;
}

/** Manifests per page, and claimed blobs a run left, per batch. */
const BATCH = 1000;
/**
 * Blobs claimed per write transaction (their bytes go in S3 DeleteObjects calls of 1000): a lock
 * of tens of ms. Batches follow digest order, so each rewrites only its own stretch of the digest
 * indexes; the links (keyed by repository first) spread each batch over every repository, so
 * fewer batches still write fewer pages.
 */
export const CLAIM_BATCH = 2500;
/**
 * The same in a serving process: on SQLite a claim runs on the thread that answers requests, so
 * a claim of a few ms keeps pulls' p99 low (bench row G-online) at some cost in throughput.
 */
export const SERVING_CLAIM_BATCH = 250;
/** Passes over the manifests: removing a subject leaves its referrers to the next pass. */
const MANIFEST_PASSES = 8;

/**
 * One garbage collection. The caller makes sure no other runs at the same time (the `gc` job's
 * lease): a run finishes the claims an interrupted one left.
 */
export async function collectGarbage(deps: GcDeps, settings: GcSettings, options: GcOptions = {}): Promise<GcResult> {
  const { meta, storage, log } = deps;
  const dryRun = options.dryRun ?? false;
  const result: GcResult = { manifests: 0, blobs: 0, bytes: 0, uploads: 0 };
  const report = (phase: GcProgress["phase"]) => options.onProgress?.({ phase, ...result });
  const stopped = () => options.signal?.aborted ?? false;
  const claimant = `gc/${hostname()}/${process.pid}/${randomBytes(4).toString("hex")}`;

  /** Counts blobs whose bytes and rows are gone. */
  const count = (gone: readonly BlobRecord[]) => {
    result.blobs += gone.length;
    result.bytes += gone.reduce((sum, b) => sum + b.size, 0);
    report("blobs");
  };
  /** Deletes claimed blobs' bytes, then their rows. */
  const sweep = async (claimed: BlobRecord[]) => {
    if (claimed.length === 0 || stopped()) return;
    await storage.delete(claimed.map((b) => blobKey(b.digest)));
    await meta.forgetBlobs(claimed.map((b) => b.digest));
    count(claimed);
  };

  if (!dryRun) {
    // Claims a run that stopped midway left behind: their links are gone already.
    for (let left = await meta.claimedBlobs(BATCH); left.length > 0 && !stopped(); left = await meta.claimedBlobs(BATCH)) await sweep(left);
  }

  const rule: ManifestRule = { before: deps.now() - settings.grace, untagged: settings.untagged };
  for (let pass = 0; pass < MANIFEST_PASSES && !stopped(); pass++) {
    let removed = 0;
    let after: ManifestKey | undefined;
    for (;;) {
      const page = await meta.unreachableManifests(rule, after, BATCH);
      for (const key of page) {
        if (stopped()) break;
        if (dryRun || (await meta.deleteUnreachableManifest(key, rule))) removed++;
      }
      result.manifests += removed;
      removed = 0;
      report("manifests");
      if (page.length < BATCH || stopped()) break;
      after = page[page.length - 1];
    }
    // A dry run removes nothing, so a second pass would find the same; a real one goes on only
    // while removing subjects leaves referrers behind.
    if (dryRun || (await meta.unreachableManifests(rule, undefined, 1)).length === 0) break;
  }

  const before = deps.now() - settings.grace;
  if (dryRun) {
    let after: string | undefined;
    while (!stopped()) {
      const page = await meta.unreferencedBlobs(before, after, BATCH);
      if (page.length === 0) break;
      after = page[page.length - 1]!.digest;
      count(page);
      if (page.length < BATCH) break;
    }
  } else {
    await sweepUnreferenced(deps, before, settings.claimBatch ?? CLAIM_BATCH, claimant, count, stopped);
  }

  if (!stopped()) result.uploads += await abandonedUploads(deps, settings, dryRun);
  if (!stopped()) result.uploads += await orphanUploadFiles(deps, deps.now() - settings.grace, dryRun);
  report("done");
  if (!dryRun) log.info({ ...result }, "garbage collection done");
  return result;
}

/**
 * The sweep proper, a pipeline of batches: while one batch's bytes are deleted (on the storage
 * driver's threads, or S3's calls), the next page is read and claimed, and that claim's
 * transaction also forgets the rows of the batch before, whose bytes are gone: each batch costs
 * one short write transaction, and the database's work overlaps the deletes. The order per blob
 * stays claim (links gone) → bytes → row.
 */
async function sweepUnreferenced(
  deps: GcDeps,
  before: number,
  batch: number,
  claimant: string,
  count: (gone: readonly BlobRecord[]) => void,
  stopped: () => boolean,
): Promise<void> {
  const { meta, storage } = deps;
  let after: string | undefined;
  /** the batch whose bytes are being deleted */
  let deleting: { blobs: BlobRecord[]; done: Promise<void> } | undefined;
  /** bytes gone, rows still claimed: the next claim forgets them */
  let gone: BlobRecord[] = [];
  const startDeleting = (blobs: BlobRecord[]) => {
    const done = blobs.length === 0 ? Promise.resolve() : storage.delete(blobs.map((b) => blobKey(b.digest)));
    // Awaited below; until then a failure must not count as unhandled.
    done.catch(() => undefined);
    deleting = { blobs, done };
  };
  const finishDeleting = async () => {
    if (!deleting) return;
    const { blobs, done } = deleting;
    deleting = undefined;
    await done;
    gone = gone.concat(blobs);
  };
  try {
    while (!stopped()) {
      const page = await meta.unreferencedBlobs(before, after, batch);
      if (page.length === 0) break;
      after = page[page.length - 1]!.digest;
      const claimed = await meta.claimBlobs(page.map((b) => b.digest), before, claimant, deps.now(), gone.map((b) => b.digest));
      count(gone);
      gone = [];
      await finishDeleting();
      startDeleting(claimed);
      if (page.length < batch) break;
    }
    await finishDeleting();
  } finally {
    // Stopped or failed: bytes already being deleted finish (a failure there is the next run's
    // to meet; this one reports its own); their rows stay claimed and the next run forgets them.
    await deleting?.done.catch(() => undefined);
  }
  if (gone.length > 0 && !stopped()) {
    await meta.forgetBlobs(gone.map((b) => b.digest));
    count(gone);
  }
}

/** Upload sessions untouched for `uploadAge` (and those of deleted repositories): removed, bytes first. */
async function abandonedUploads(deps: GcDeps, settings: GcSettings, dryRun: boolean): Promise<number> {
  const before = deps.now() - settings.uploadAge;
  if (!dryRun) return deps.uploads.purgeStale(before);
  return (await deps.meta.staleUploads(before, 100_000)).length;
}

/**
 * Upload bytes whose session row is gone (a process that died between deleting the two, or a
 * repository deleted by an older Berth): the one place the model cannot answer, so the
 * `uploads/` prefix is listed. Only files older than `before`.
 */
async function orphanUploadFiles(deps: GcDeps, before: number, dryRun: boolean): Promise<number> {
  let count = 0;
  for await (const object of deps.storage.list("uploads/")) {
    const id = object.key.slice("uploads/".length);
    if (!isUploadId(id) || object.modified >= before || (await deps.meta.getUpload(id))) continue;
    count++;
    if (dryRun) continue;
    const key = uploadKey(id);
    await (await deps.storage.writer(key)).cancel();
    await deps.storage.delete([key]);
  }
  return count;
}
