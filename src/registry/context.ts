// What every registry service is built from.
import type { Logger } from "pino";
import type { MetadataStore } from "../metadata/store.js";
import type { BlobStore } from "../storage/blobstore.js";

export interface RegistryContext {
  blobs: BlobStore;
  meta: MetadataStore;
  /** epoch milliseconds; injectable so expiry can be tested */
  now: () => number;
  /** false → every DELETE answers UNSUPPORTED (Distribution's storage.delete.enabled) */
  deleteEnabled: boolean;
  log: Logger;
}
