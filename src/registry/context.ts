// What every registry service is built from.
import type { Logger } from "pino";
import type { MetadataStore } from "../metadata/store.js";
import type { BlobStore } from "../storage/blobstore.js";
import type { Peers } from "./peers.js";

export interface RegistryContext {
  blobs: BlobStore;
  meta: MetadataStore;
  /** epoch milliseconds; injectable so expiry can be tested */
  now: () => number;
  /** false → every DELETE answers UNSUPPORTED (Distribution's storage.delete.enabled) */
  deleteEnabled: boolean;
  log: Logger;
  /** the machine's other serving processes; absent when this one serves alone */
  peers?: Peers;
}
