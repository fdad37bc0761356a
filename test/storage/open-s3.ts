// How the driver suite's child process opens the S3 driver (driver-suite.ts, "continued by
// another process"): the parent's options, sent over the IPC channel (never argv: a secret).
import type { StorageDriver } from "../../src/storage/driver.js";
import { S3Driver, type S3Options } from "../../src/storage/drivers/s3.js";

export async function openDriver(options: S3Options): Promise<StorageDriver> {
  return new S3Driver(options);
}
