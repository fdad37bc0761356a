// The filesystem driver writes large uploads past the page cache (O_DIRECT) where the filesystem
// allows it, and goes through the page cache where it does not; either way the bytes are the same.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdtemp, open as openFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it, type TestContext } from "node:test";
import { FilesystemDriver } from "../../src/storage/drivers/filesystem.js";
import { needTools } from "../helpers/tools.js";
import { driverSuite } from "./driver-suite.js";

const MiB = 1024 * 1024;
const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function storeIn(parent: string, directIo?: boolean) {
  const root = await mkdtemp(join(parent, "berth-direct-"));
  roots.push(root);
  const store = new FilesystemDriver(root, { directIo });
  await store.init();
  return store;
}

async function readAll(store: FilesystemDriver, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of (await store.get(key))!) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts);
}

async function* chunksOf(data: Buffer, size = 65_536) {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

/** Whether the filesystem under `dir` takes O_DIRECT opens. */
async function takesDirectIo(dir: string): Promise<boolean> {
  try {
    await (await openFile(join(dir, "probe"), constants.O_RDWR | constants.O_CREAT | constants.O_DIRECT)).close();
    return true;
  } catch {
    return false;
  } finally {
    await rm(join(dir, "probe"), { force: true });
  }
}

/** Bytes of `file` in the page cache, as util-linux's fincore counts them. */
function cachedBytes(file: string): number {
  return Number(execFileSync("fincore", ["--bytes", "--noheadings", "--output", "RES", file], { encoding: "utf8" }).trim());
}

driverSuite("filesystem without direct I/O", () => storeIn(tmpdir(), false), {
  child: (d) => ({ module: new URL("./open-filesystem.js", import.meta.url).href, args: { root: (d as FilesystemDriver).root, directIo: false } }),
});

it("filesystem: a large upload is written past the page cache, and commits exactly", async (t: TestContext) => {
  if (!needTools(t, "fincore")) return;
  const store = await storeIn(tmpdir());
  if (!(await takesDirectIo(store.root))) return t.skip(`the filesystem of ${tmpdir()} refuses O_DIRECT`);
  const data = randomBytes(16 * MiB + 5);
  const writer = await store.writer("uploads/big");
  assert.equal(await writer.write(chunksOf(data)), data.length);
  const file = join(store.root, "uploads", "big");
  // Only the first batch (written before the body showed itself large) and the last partial
  // page went through the page cache; through it, all 16 MiB would be there.
  const cached = cachedBytes(file);
  assert.ok(cached <= MiB + 8192, `${cached} bytes of the upload in the page cache`);
  await writer.commit();
  assert.ok((await readAll(store, "uploads/big")).equals(data));

  const through = await storeIn(tmpdir(), false);
  await (await through.writer("uploads/big")).write(chunksOf(data));
  assert.ok(cachedBytes(join(through.root, "uploads", "big")) >= 16 * MiB, "with direct I/O off, the page cache holds it");
});

it("filesystem: where O_DIRECT is refused (tmpfs), uploads go through the page cache", async (t: TestContext) => {
  const shm = "/dev/shm";
  if (!(await openFile(shm).then((h) => h.close().then(() => true), () => false))) return t.skip("no /dev/shm here");
  const store = await storeIn(shm);
  if (await takesDirectIo(store.root)) return t.skip("/dev/shm takes O_DIRECT here");
  const data = randomBytes(3 * MiB + 11);
  assert.equal(await (await store.writer("uploads/u")).write(chunksOf(data, 100_000)), data.length);
  const second = await store.writer("uploads/u", { at: data.length });
  assert.equal(await second.write(chunksOf(data.subarray(0, 2 * MiB))), data.length + 2 * MiB);
  await second.commit();
  assert.ok((await readAll(store, "uploads/u")).equals(Buffer.concat([data, data.subarray(0, 2 * MiB)])));
});
