// The filesystem driver writes large uploads past the page cache (O_DIRECT) where the filesystem
// allows it, and goes through the page cache where it does not; either way the bytes are the same.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdtemp, open as openFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it, type TestContext } from "node:test";
import { FilesystemBlobStore } from "../../src/storage/drivers/filesystem.js";
import { needTools } from "../helpers/tools.js";
import { blobStoreSuite } from "./driver-suite.js";

const MiB = 1024 * 1024;
const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function storeIn(parent: string, directIo?: boolean) {
  const root = await mkdtemp(join(parent, "berth-direct-"));
  roots.push(root);
  const store = new FilesystemBlobStore(root, { directIo });
  await store.init();
  return store;
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

blobStoreSuite("filesystem without direct I/O", () => storeIn(tmpdir(), false));

it("filesystem: a large upload is written past the page cache, and reads back exactly", async (t: TestContext) => {
  if (!needTools(t, "fincore")) return;
  const store = await storeIn(tmpdir());
  if (!(await takesDirectIo(store.root))) return t.skip(`the filesystem of ${tmpdir()} refuses O_DIRECT`);
  const data = randomBytes(16 * MiB + 5);
  await store.append("big", chunksOf(data));
  const file = join(store.root, "uploads", "big");
  // Only the first batch (written before the body showed itself large) and the last partial
  // page went through the page cache; through it, all 16 MiB would be there.
  const cached = cachedBytes(file);
  assert.ok(cached <= MiB + 8192, `${cached} bytes of the upload in the page cache`);
  const hash = createHash("sha256");
  for await (const chunk of await store.readUpload("big", { start: 0, end: data.length - 1 })) hash.update(chunk);
  assert.equal(hash.digest("hex"), createHash("sha256").update(data).digest("hex"));
  assert.ok(cachedBytes(file) <= MiB + 8192, "reading it back for the hash did not fill the page cache either");

  const through = await storeIn(tmpdir(), false);
  await through.append("big", chunksOf(data));
  assert.ok(cachedBytes(join(through.root, "uploads", "big")) >= 16 * MiB, "with direct I/O off, the page cache holds it");
});

it("filesystem: where O_DIRECT is refused (tmpfs), uploads go through the page cache", async (t: TestContext) => {
  const shm = "/dev/shm";
  if (!(await openFile(shm).then((h) => h.close().then(() => true), () => false))) return t.skip("no /dev/shm here");
  const store = await storeIn(shm);
  if (await takesDirectIo(store.root)) return t.skip("/dev/shm takes O_DIRECT here");
  const data = randomBytes(3 * MiB + 11);
  assert.equal(await store.append("u", chunksOf(data, 100_000)), data.length);
  assert.equal(await store.append("u", chunksOf(data.subarray(0, 2 * MiB)), { at: data.length, sync: true }), data.length + 2 * MiB);
  const back: Buffer[] = [];
  for await (const chunk of await store.readUpload("u", { start: 1, end: data.length + 2 * MiB - 1 })) back.push(Buffer.from(chunk));
  assert.ok(Buffer.concat(back).equals(Buffer.concat([data, data.subarray(0, 2 * MiB)]).subarray(1)));
});

it("filesystem: a long append tells its progress, and what it told is readable at once", async () => {
  const store = await storeIn(tmpdir());
  const data = randomBytes(40 * MiB + 3);
  const told: number[] = [];
  const reads: Promise<void>[] = [];
  const size = await store.append("long", chunksOf(data), {
    progress: (n) => {
      told.push(n);
      // Read the last bytes told while the append goes on.
      reads.push(
        (async () => {
          const got: Buffer[] = [];
          for await (const c of await store.readUpload("long", { start: n - 5000, end: n - 1 })) got.push(Buffer.from(c));
          assert.ok(Buffer.concat(got).equals(data.subarray(n - 5000, n)), `bytes before ${n}`);
        })(),
      );
    },
  });
  await Promise.all(reads);
  assert.equal(size, data.length);
  assert.ok(told.length >= 4, `told ${told.length} times`);
  for (const [i, n] of told.entries()) {
    assert.ok(n < size && n - (told[i - 1] ?? 0) >= 8 * MiB, `told ${n} after ${told[i - 1] ?? 0}`);
  }
});
