// What every registry service is built from.
import type { Logger } from "pino";
import type { MetadataStore } from "../metadata/store.js";
import type { StorageDriver } from "../storage/driver.js";

export interface RegistryContext {
  /** where blob and upload bytes live (keys: storage-keys.ts) */
  storage: StorageDriver;
  meta: MetadataStore;
  /** epoch milliseconds; injectable so expiry can be tested */
  now: () => number;
  /** false → every DELETE answers UNSUPPORTED (Distribution's storage.delete.enabled) */
  deleteEnabled: boolean;
  /** seconds a presigned blob URL stays valid; absent → blob GETs never redirect (storage.redirect) */
  redirectExpiry?: number;
  log: Logger;
}
