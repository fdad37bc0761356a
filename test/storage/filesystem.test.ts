import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { FilesystemBlobStore } from "../../src/storage/drivers/filesystem.js";
import { blobStoreSuite } from "./driver-suite.js";

const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function open() {
  const root = await mkdtemp(join(tmpdir(), "berth-fs-"));
  roots.push(root);
  const store = new FilesystemBlobStore(root);
  await store.init();
  return store;
}

blobStoreSuite("filesystem", open);

it("filesystem: blobs are content-addressed files and nothing is left in uploads after commit", async () => {
  const store = await open();
  await store.append("u1", (async function* () { yield Buffer.from("hello"); })());
  const digest = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  await store.commit("u1", digest);
  assert.deepEqual(await readdir(join(store.root, "uploads")), []);
  assert.deepEqual(await readdir(join(store.root, "blobs", "sha256", "2c")), [digest.slice(7)]);
});
