// How the driver suite's child process opens the filesystem driver (driver-suite.ts, "resumed
// by another process"): the same root as the parent's driver.
import { FilesystemDriver } from "../../src/storage/drivers/filesystem.js";
import type { StorageDriver } from "../../src/storage/driver.js";

export async function openDriver(args: { root: string; directIo?: boolean }): Promise<StorageDriver> {
  const driver = new FilesystemDriver(args.root, { directIo: args.directIo });
  await driver.init();
  return driver;
}
