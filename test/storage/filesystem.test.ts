import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { FilesystemDriver } from "../../src/storage/drivers/filesystem.js";
import { driverSuite } from "./driver-suite.js";

const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function open() {
  const root = await mkdtemp(join(tmpdir(), "berth-fs-"));
  roots.push(root);
  const driver = new FilesystemDriver(root);
  await driver.init();
  return driver;
}

const child = (d: unknown) => ({ module: new URL("./open-filesystem.js", import.meta.url).href, args: { root: (d as FilesystemDriver).root } });

driverSuite("filesystem", open, { child });

it("filesystem: a key is the file of that path under the root, and a move leaves nothing behind", async () => {
  const driver = await open();
  const writer = await driver.writer("uploads/u1");
  await writer.write((async function* () { yield Buffer.from("hello"); })());
  await writer.commit();
  await driver.move("uploads/u1", "blobs/sha256/2c/2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  assert.deepEqual(await readdir(join(driver.root, "uploads")), []);
  assert.equal(await readFile(join(driver.root, "blobs", "sha256", "2c", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"), "utf8"), "hello");
});

it("filesystem: files written before this driver (an existing data directory) are its objects", async () => {
  const driver = await open();
  await mkdir(join(driver.root, "blobs", "sha256", "ab"), { recursive: true });
  await writeFile(join(driver.root, "blobs", "sha256", "ab", "ab00"), "old blob");
  assert.deepEqual(await driver.getSmall("blobs/sha256/ab/ab00"), Buffer.from("old blob"));
  const keys: string[] = [];
  for await (const o of driver.list("blobs/")) keys.push(o.key);
  assert.deepEqual(keys, ["blobs/sha256/ab/ab00"]);
});

it("filesystem: a delete on a few lowered threads (a serving process's) removes every key of a large call, and names a failure", async () => {
  const root = await mkdtemp(join(tmpdir(), "berth-fs-"));
  roots.push(root);
  const driver = new FilesystemDriver(root, { unlinks: { threads: 2, nice: 5 } });
  await driver.init();
  const keys = Array.from({ length: 50 }, (_, i) => `blobs/sha256/${String(i % 4).padStart(2, "0")}/k${i}`);
  for (const key of keys.slice(0, 40)) await driver.put(key, Buffer.from(key));
  await driver.delete(keys);
  for (const key of keys) assert.equal(await driver.stat(key), undefined, `${key} is gone`);
  // A failure is reported, not swallowed: a directory where an object was expected.
  await mkdir(join(root, "blobs", "sha256", "dir"), { recursive: true });
  await assert.rejects(driver.delete(["blobs/sha256/00/absent", "blobs/sha256/dir"]), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, "EISDIR");
    assert.match(err.message, /could not unlink .*blobs\/sha256\/dir$/);
    return true;
  });
});
