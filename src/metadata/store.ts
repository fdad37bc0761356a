// What the registry remembers besides blob bytes. One interface, several backends (SQLite now,
// PostgreSQL next); every backend passes test/metadata/store-suite.ts.

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
  lastPulledAt: number | null;
  pullCount: number;
}

export type NewManifest = Omit<ManifestRecord, "lastPulledAt" | "pullCount">;

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
}

export interface BlobLink {
  repository: string;
  digest: string;
  size: number;
  at: number;
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
  size: number;
  pushedAt: number;
  lastPulledAt: number | null;
  pullCount: number;
  /** sorted */
  tags: string[];
}

export interface TagRecord {
  name: string;
  digest: string;
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
}

export interface PullEvent {
  repository: string;
  digest: string;
  at: number;
  count: number;
}

/**
 * The metadata database cannot be used, for a reason its one-line message says (unreachable,
 * wrong credentials, migrated by a newer Berth): the server stops with that line.
 */
export class MetadataUnavailable extends Error {}

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
 * In a store that enforces repository limits, every write that may create a repository (a blob
 * link, an upload commit, a manifest, an explicit create) creates it only while its tenancy holds
 * fewer repositories than its limit, decided inside that write's transaction (so racing first
 * pushes cannot pass it); past the limit it throws RepositoryLimitReached and writes nothing.
 */
export interface MetadataStore {
  close(): Promise<void>;

  repositoryExists(name: string): Promise<boolean>;
  /** Creates an empty repository; false when it exists already. */
  createRepository(name: string, at: number): Promise<boolean>;
  listRepositories(page: Page): Promise<string[]>;
  /** Removes a repository with its manifests, tags, blob links and uploads. */
  deleteRepository(name: string): Promise<boolean>;
  /** Tag count, manifest count, size (see RepositoryStats), pulls and last push, per repository. */
  repositoryStats(names: string[]): Promise<Map<string, RepositoryStats>>;

  /** Records that `repository` holds blob `digest`; idempotent. Creates the repository. */
  linkBlob(repository: string, digest: string, size: number, at: number): Promise<void>;
  /** Size of a blob linked into `repository`, or undefined. */
  linkedBlobSize(repository: string, digest: string): Promise<number | undefined>;
  /** Repositories that hold blob `digest`, sorted, at most `limit`. */
  repositoriesWithBlob(digest: string, limit: number): Promise<string[]>;
  unlinkBlob(repository: string, digest: string): Promise<boolean>;
  /** Sizes of those of `digests` that are linked into `repository`. */
  linkedBlobSizes(repository: string, digests: string[]): Promise<Map<string, number>>;

  /**
   * Stores a manifest with its references and (optionally) points `tag` at it, in one
   * transaction. Re-putting an existing digest keeps its pull statistics.
   */
  putManifest(manifest: NewManifest, references: ManifestReference[], tag?: string): Promise<void>;
  getManifest(repository: string, digest: string): Promise<ManifestRecord | undefined>;
  /** The manifest a tag points at, in one round trip. */
  getTaggedManifest(repository: string, tag: string): Promise<ManifestRecord | undefined>;
  /** Of `digests`, those not stored as manifests in `repository`. */
  missingManifests(repository: string, digests: string[]): Promise<string[]>;
  /** Deletes a manifest, its references and every tag pointing at it. */
  deleteManifest(repository: string, digest: string): Promise<boolean>;
  recordPulls(events: PullEvent[]): Promise<void>;

  resolveTag(repository: string, tag: string): Promise<string | undefined>;
  listTags(repository: string, page: Page): Promise<string[]>;
  deleteTag(repository: string, tag: string): Promise<boolean>;
  /** Tags with the digest each points at, sorted by name, after `page.last`. */
  listTagRecords(repository: string, page: Page): Promise<TagRecord[]>;
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
   * Ends a session whose bytes became a blob: links the blob into the repository and deletes the
   * session, atomically. A refused repository (RepositoryLimitReached) ends the session too.
   */
  commitUpload(id: string, blob: BlobLink): Promise<void>;
  /** Uploads last touched before `before` and not leased past it, oldest first. */
  staleUploads(before: number, limit: number): Promise<UploadRecord[]>;
}
