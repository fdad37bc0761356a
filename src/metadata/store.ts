// What the registry remembers besides blob bytes. One interface, several backends (SQLite and
// PostgreSQL); every backend passes test/metadata/store-suite.ts.
import { StartupError } from "../config/startup-error.js";
import type { Platform } from "../content/image-description.js";

export interface ManifestRecord {
  repository: string;
  digest: string;
  mediaType: string;
  /** `artifactType`, or the config media type of an image manifest (what referrers report) */
  artifactType: string | null;
  size: number;
  content: Uint8Array;
  subject: string | null;
  annotations: Record<string, string> | null;
  pushedAt: number;
  /** `<tenancy>/<user>` who pushed it first; null when anonymous, offline or unknown (before 0014) */
  pushedBy: string | null;
  lastPulledAt: number | null;
  pullCount: number;
}

export type NewManifest = Omit<ManifestRecord, "lastPulledAt" | "pullCount" | "pushedBy"> & { pushedBy?: string | null };

/** An edge from a manifest to what it needs: its config and layers (blobs) or children (manifests). */
export interface ManifestReference {
  child: string;
  kind: "blob" | "manifest";
}

export interface ReferrerRecord {
  digest: string;
  mediaType: string;
  artifactType: string | null;
  size: number;
  annotations: Record<string, string> | null;
  pushedAt: number;
}

export interface BlobLink {
  repository: string;
  digest: string;
  size: number;
  at: number;
}

/** A blob of the blob store, once per digest whichever repositories link it. */
export interface BlobRecord {
  digest: string;
  size: number;
  createdAt: number;
  /** the last upload commit or link (a mount) of this digest into any repository */
  linkedAt: number;
  /** garbage collection is deleting it: nothing may link it until the claim ends */
  claimed: boolean;
}

/** A manifest, by repository and digest. */
export interface ManifestKey {
  repository: string;
  digest: string;
}

/** What garbage collection removes besides blobs nothing references (src/lifecycle/gc.ts). */
export interface ManifestRule {
  /** only manifests pushed before this (the grace period) */
  before: number;
  /** also untagged manifests that no index of their repository lists and whose subject, if any, is gone (gc.untagged) */
  untagged: boolean;
}

export interface UploadRecord extends UploadProgress {
  id: string;
  repository: string;
  createdAt: number;
  updatedAt: number;
  /** the write lease as last taken (when read back; a new session has none) */
  lease?: { holder: string | null; until: number };
  /** how far the lease's holder got durably while still writing (see recordUploadCheckpoint) */
  checkpoint?: UploadProgress;
}

/** How far an upload got: saved after each chunk, so any process on any node continues it. */
export interface UploadProgress {
  /** bytes acknowledged to the client */
  size: number;
  /** the running hash's saved state over those bytes (ResumableHash); null before the first byte */
  hashState: Uint8Array | null;
  /** the storage writer's state (ObjectWriter.state) */
  writerState: string | null;
}

/** A manifest as listings show it: no content, with the tags that point at it. */
export interface ManifestSummary {
  digest: string;
  mediaType: string;
  artifactType: string | null;
  /** the image's bytes, as imageSizes counts them */
  size: number;
  pushedAt: number;
  pushedBy: string | null;
  lastPulledAt: number | null;
  pullCount: number;
  /** sorted */
  tags: string[];
  /** an index's: the platforms of its manifests that name one, in its order */
  platforms?: Platform[];
}

export interface TagRecord {
  name: string;
  digest: string;
  /** the image's bytes: its manifest, its children (an index's) and the blobs they reference, each once */
  size: number;
  /** when the tag last moved to its digest (its push) */
  pushedAt: number;
}

export interface RepositoryStats {
  tags: number;
  manifests: number;
  /**
   * bytes of the distinct blobs (configs and layers) that the repository's manifests reference,
   * each counted once: 0 once every manifest is deleted, whatever blobs are still linked
   */
  size: number;
  pulls: number;
  lastPushedAt: number | null;
}

export interface Page {
  /** exclusive lower bound (lexical) */
  last?: string;
  limit: number;
  /** only names starting with this */
  prefix?: string;
  /** only names containing this, ignoring ASCII case (tags and repositories) */
  filter?: string;
}

export interface PullEvent {
  repository: string;
  digest: string;
  at: number;
  count: number;
}

/** A retention policy as stored: `rules` is RetentionRules (src/lifecycle/retention-rules.ts) as JSON. */
export interface RetentionPolicyRecord {
  tenancy: string;
  /** GLOBAL_RETENTION_POLICY for the tenancy's global one */
  name: string;
  rules: string;
  createdAt: number;
  /** the last change of its rules or repositories: the cooling period counts from here */
  changedAt: number;
  /** repositories in it, sorted (none for the global one) */
  repositories: string[];
}

export const GLOBAL_RETENTION_POLICY = "global";

/** An image as retention sees it: a manifest of its repository that no index lists and that refers to no subject. */
export interface RetentionImage {
  digest: string;
  tags: string[];
  pushedAt: number;
  lastPulledAt: number | null;
  untaggedSince: number | null;
  /** the manifests it lists (an index's children), each with whether a tag points at it */
  children: { digest: string; tagged: boolean }[];
}

/** Pulls and egress of one repository on one UTC day, added to what is recorded. */
export interface UsageEvent {
  repository: string;
  /** days since the epoch (UTC) */
  day: number;
  /** manifest GETs answered 200 */
  pulls: number;
  /** bytes of blob and manifest bodies sent */
  egressBytes: number;
}

export type DailyUsage = Omit<UsageEvent, "repository">;

/** Whose daily usage: one repository, or every repository of a tenancy. */
export type UsageScope = { repository: string } | { namespace: string };

/**
 * Storing a blob would take its tenancy past its storage quota (bytes, each blob once per
 * tenancy); nothing was linked.
 */
export class StorageQuotaExceeded extends Error {
  constructor(
    readonly namespace: string,
    readonly quota: number,
    /** bytes the tenancy stores now */
    readonly used: number,
    /** bytes the refused push would have added */
    readonly adding: number,
  ) {
    super(
      `tenancy ${namespace} would exceed its storage quota of ${quota} bytes: it stores ${used} bytes and this push adds ${adding}; delete images (then run garbage collection) or ask an operator to raise the quota`,
    );
  }
}

/** A write would move or delete a tag of a repository whose tags are immutable; nothing was written. */
export class TagImmutable extends Error {
  constructor(
    readonly repository: string,
    readonly tag: string,
    readonly action: "move" | "delete",
  ) {
    super(
      action === "move"
        ? `tag ${tag} of ${repository} is immutable; push a new tag`
        : `tag ${tag} of ${repository} is immutable and cannot be deleted; an administrator can make the repository's tags mutable first`,
    );
  }
}

/**
 * The metadata database cannot be used, for a reason its one-line message says (unreachable,
 * wrong credentials, migrated by a newer Berth): the server stops with that line.
 */
export class MetadataUnavailable extends StartupError {}

/**
 * Creating a repository would pass its tenancy's repository limit (or there is no such tenancy);
 * nothing was written. Only stores opened with repository limits throw it.
 */
export class RepositoryLimitReached extends Error {
  constructor(
    readonly namespace: string,
    /** undefined when the tenancy does not exist */
    readonly limit: number | undefined,
  ) {
    super(
      limit === undefined
        ? `there is no tenancy ${namespace}: repositories cannot be created in it`
        : `tenancy ${namespace} has reached its limit of ${limit} repositories; delete one or ask an operator to raise the limit`,
    );
  }
}

/**
 * A manifest lists blobs not linked into its repository or manifests not stored there, checked in
 * the transaction that stores it (a sweep may have removed them since the service looked).
 */
export class MissingReferences extends Error {
  constructor(readonly missing: string[]) {
    super(`manifest references content unknown to this repository: ${missing.join(", ")}`);
  }
}

/**
 * Garbage collection is deleting this blob right now: it cannot be linked until the claim ends.
 * Also thrown by a commit whose hold on the digest ran out and was collected meanwhile.
 */
export class BlobBeingCollected extends Error {
  constructor(readonly digest: string) {
    super(`blob ${digest} is being removed by garbage collection; push it again shortly`);
  }
}

/**
 * In a store that enforces repository limits, every write that may create a repository (a blob
 * link, an upload commit, a manifest, an explicit create) creates it only while its tenancy holds
 * fewer repositories than its limit, decided inside that write's transaction (so racing first
 * pushes cannot pass it); past the limit it throws RepositoryLimitReached and writes nothing.
 * Such a store also keeps a tenancy's storage quota: a link that would take it past the quota
 * (commitUpload, linkBlob, mountBlob) throws StorageQuotaExceeded, decided the same way.
 */
export interface MetadataStore {
  close(): Promise<void>;

  repositoryExists(name: string): Promise<boolean>;
  /** Creates an empty repository; false when it exists already. */
  createRepository(name: string, at: number): Promise<boolean>;
  listRepositories(page: Page): Promise<string[]>;
  /**
   * Removes a repository with its manifests, tags and blob links. Its uploads end: detached from
   * any repository (no request finds them) and left stale, so the next purge removes their bytes.
   */
  deleteRepository(name: string): Promise<boolean>;
  /** Tag count, manifest count, size (see RepositoryStats), pulls and last push, per repository. */
  repositoryStats(names: string[]): Promise<Map<string, RepositoryStats>>;

  /**
   * Records that `repository` holds blob `digest`, and the blob itself (linked at `at`); idempotent.
   * Creates the repository. BlobBeingCollected when a sweep has claimed the digest.
   */
  linkBlob(repository: string, digest: string, size: number, at: number): Promise<void>;
  /**
   * Links blob `digest`, which `from` holds, into `repository` (a cross-repository mount), in one
   * transaction that finds `from`'s link still there and the blob unclaimed; false otherwise.
   */
  mountBlob(repository: string, digest: string, size: number, from: string, at: number): Promise<boolean>;
  /** The blob's record, or undefined. */
  getBlob(digest: string): Promise<BlobRecord | undefined>;
  /**
   * Before a commit moves bytes to `digest`'s key: records the blob (if new) and a hold on it for
   * `holder` until `until`, which garbage collection respects. False, with nothing written, while
   * a sweep has the digest claimed.
   */
  holdBlob(digest: string, size: number, holder: string, at: number, until: number): Promise<boolean>;
  /** Drops `holder`'s hold (a commit that failed after holding). */
  releaseBlobHold(digest: string, holder: string): Promise<void>;
  /** Size of a blob linked into `repository`, or undefined. */
  linkedBlobSize(repository: string, digest: string): Promise<number | undefined>;
  /** Repositories that hold blob `digest`, sorted, at most `limit`. */
  repositoriesWithBlob(digest: string, limit: number): Promise<string[]>;
  unlinkBlob(repository: string, digest: string): Promise<boolean>;
  /** Sizes of those of `digests` that are linked into `repository`. */
  linkedBlobSizes(repository: string, digests: string[]): Promise<Map<string, number>>;

  /**
   * Stores a manifest with its references and (optionally) points `tag` at it, in one
   * transaction. Re-putting an existing digest keeps its pull statistics. Every referenced blob
   * must be linked into the repository and every referenced manifest stored there, checked in
   * that transaction (MissingReferences otherwise). In a repository whose tags are immutable,
   * moving an existing tag to another digest throws TagImmutable, decided in that transaction.
   */
  putManifest(manifest: NewManifest, references: ManifestReference[], tag?: string): Promise<void>;
  getManifest(repository: string, digest: string): Promise<ManifestRecord | undefined>;
  /** The manifest a tag points at, in one round trip. */
  getTaggedManifest(repository: string, tag: string): Promise<ManifestRecord | undefined>;
  /** Of `digests`, those not stored as manifests in `repository`. */
  missingManifests(repository: string, digests: string[]): Promise<string[]>;
  /** Deletes a manifest, its references and every tag pointing at it; TagImmutable when tagged in a repository whose tags are immutable. */
  deleteManifest(repository: string, digest: string): Promise<boolean>;
  recordPulls(events: PullEvent[]): Promise<void>;

  // Usage, quotas and immutable tags (src/admin/usage.ts, src/metadata/storage-quota.ts).
  /** Adds pulls and egress per repository and day, in one transaction. */
  recordUsage(events: UsageEvent[]): Promise<void>;
  /** Daily usage of `scope` from `fromDay` on (days since the epoch), by day; days without any are left out. */
  dailyUsage(scope: UsageScope, fromDay: number): Promise<DailyUsage[]>;
  /** Bytes of the blobs linked into each repository, each blob once per repository. */
  storedBytes(names: string[]): Promise<Map<string, number>>;
  /** Bytes of the blobs linked into any repository of the tenancy, each blob once. */
  tenancyStoredBytes(namespace: string): Promise<number>;
  /**
   * Before bytes arrive: the refusal a push of `adding` bytes into `repository` would meet at its
   * commit now (a blob `digest`, when known, that the tenancy stores already adds nothing), or
   * undefined when it fits or there is no quota. The commit decides again.
   */
  storageRefusal(repository: string, adding: number, digest?: string): Promise<StorageQuotaExceeded | undefined>;

  resolveTag(repository: string, tag: string): Promise<string | undefined>;
  listTags(repository: string, page: Page): Promise<string[]>;
  /** Removes a tag; the manifest it pointed at, left without tags, is untagged since `at`. TagImmutable when the repository's tags are immutable. */
  deleteTag(repository: string, tag: string, at?: number): Promise<boolean>;
  /** Tags with the digest, size and push of each, sorted by name, after `page.last`, `page.filter` applied. */
  listTagRecords(repository: string, page: Page): Promise<TagRecord[]>;
  /**
   * Bytes of each image of `digests` stored in `repository`: the manifest, its child manifests
   * (an index's) and the blobs they reference, each blob once. Absent digests are left out.
   */
  imageSizes(repository: string, digests: string[]): Promise<Map<string, number>>;
  /** The tags pointing at `digest`, sorted. */
  tagsOf(repository: string, digest: string): Promise<string[]>;
  /** Manifests sorted by digest, after `page.last`, each with its tags. */
  listManifests(repository: string, page: Page): Promise<ManifestSummary[]>;

  listReferrers(repository: string, subject: string, artifactType?: string): Promise<ReferrerRecord[]>;

  /**
   * Opens an upload session; its progress starts empty whatever `upload` says. With limits,
   * refused (RepositoryLimitReached) when its repository does not exist and could not be created
   * now, so a push past the limit stops before its bytes.
   */
  createUpload(upload: Pick<UploadRecord, "id" | "repository" | "createdAt" | "updatedAt">): Promise<void>;
  getUpload(id: string): Promise<UploadRecord | undefined>;
  /**
   * Takes the session's write lease for `holder` until `until` unless someone holds it past `now`
   * (or the one holding it is `replacing`: a holder known to be gone), and marks the session as
   * touched at `now`; atomic. Returns the session, or undefined when it does not exist or is leased.
   */
  leaseUpload(id: string, now: number, until: number, holder?: string, replacing?: string): Promise<UploadRecord | undefined>;
  /** Extends `holder`'s lease to `until`; false when `holder` no longer holds it. */
  renewUploadLease(id: string, holder: string, until: number): Promise<boolean>;
  /**
   * Records how far `holder` got durably while it still writes (a checkpoint during a long body),
   * apart from the session's progress: whoever takes over from a holder that died continues from
   * it. False when `holder` no longer holds the lease.
   */
  recordUploadCheckpoint(id: string, holder: string, checkpoint: UploadProgress): Promise<boolean>;
  /** Records where a request of `holder` left the session (dropping any checkpoint); false when `holder` no longer holds it. */
  recordUploadProgress(id: string, holder: string, progress: UploadProgress): Promise<boolean>;
  /**
   * Frees the session's lease (only if `holder` holds it, when given), recording `progress` (and
   * dropping any checkpoint) in the same write when given.
   */
  releaseUpload(id: string, holder?: string, progress?: UploadProgress): Promise<void>;
  deleteUpload(id: string): Promise<void>;
  /**
   * Ends a session whose bytes became a blob: links the blob into the repository, ends the hold
   * the session took on it (holdBlob, holder = the session id) and deletes the session,
   * atomically. A refused repository (RepositoryLimitReached) ends the session too; a hold that is
   * gone (it ran out and a sweep took the blob) fails with BlobBeingCollected, nothing written.
   */
  commitUpload(id: string, blob: BlobLink): Promise<void>;
  /** Uploads last touched before `before` and not leased past it, oldest first. */
  staleUploads(before: number, limit: number): Promise<UploadRecord[]>;

  /**
   * Manifests garbage collection removes, in (repository, digest) order after `after`: untagged,
   * listed by no index of their repository, pushed before `rule.before`, and either referrers
   * whose subject is gone from their repository or (with `rule.untagged`) any such manifest
   * whose subject, if it has one, is gone.
   */
  unreachableManifests(rule: ManifestRule, after: ManifestKey | undefined, limit: number): Promise<ManifestKey[]>;
  /**
   * Deletes the manifest (and its references) if `rule` still selects it, checked in the
   * transaction that deletes it; false otherwise.
   */
  deleteUnreachableManifest(key: ManifestKey, rule: ManifestRule): Promise<boolean>;
  /**
   * Unclaimed blobs no manifest references, last linked before `before`, in digest order after
   * the digest `after`: the order the blob and link rows are kept in, so a batch's rows share pages.
   */
  unreferencedBlobs(before: number, after: string | undefined, limit: number): Promise<BlobRecord[]>;
  /**
   * Claims for `claimant`, in one transaction that checks again, those of `digests` still
   * unreferenced, last linked before `before` and unheld (holds past `now` count; older ones are
   * dropped), and removes their links. A claimed blob is linked by nothing until forgotten.
   * `forget` (claimed blobs whose bytes are gone, as forgetBlobs) goes in the same transaction.
   */
  claimBlobs(digests: string[], before: number, claimant: string, now: number, forget?: readonly string[]): Promise<BlobRecord[]>;
  /** Blobs claimed and not yet forgotten (a sweep that stopped midway), at most `limit`. */
  claimedBlobs(limit: number): Promise<BlobRecord[]>;
  /** Removes the records of claimed blobs whose bytes are gone. */
  forgetBlobs(digests: string[]): Promise<void>;

  // --- retention policies (src/lifecycle/retention.ts) ---
  /** A tenancy's stored policies (the global one only once written), by name. */
  retentionPolicies(tenancy: string): Promise<RetentionPolicyRecord[]>;
  /** Tenancies holding at least one stored policy, sorted. */
  retentionTenancies(): Promise<string[]>;
  /**
   * Writes a policy's rules and sets its changedAt to `at`: "create" only a new one, "update" only
   * an existing one, "upsert" either (the global one); false when the mode found the other case.
   */
  putRetentionPolicy(tenancy: string, name: string, rules: string, at: number, mode: "create" | "update" | "upsert"): Promise<boolean>;
  /** Deletes an override with its repository list; false when there is none. */
  deleteRetentionPolicy(tenancy: string, name: string): Promise<boolean>;
  /**
   * Puts `repository` in override `name` (moving the policy's changedAt to `at`): "added", "present" (already
   * in it), "no-policy", or the name of the other override that holds it (a repository is in at most one).
   */
  addRetentionRepository(tenancy: string, name: string, repository: string, at: number): Promise<"added" | "present" | "no-policy" | { heldBy: string }>;
  /** Takes `repository` out of override `name` (moving its changedAt to `at`); false when it was not in it. */
  removeRetentionRepository(tenancy: string, name: string, repository: string, at: number): Promise<boolean>;
  /** Forgets every policy of a tenancy (the tenancy is deleted: a new one of the same name starts afresh). */
  deleteRetentionPolicies(tenancy: string): Promise<void>;
  /** The images of a repository (see RetentionImage), with their tags. */
  retentionImages(repository: string): Promise<RetentionImage[]>;
}
