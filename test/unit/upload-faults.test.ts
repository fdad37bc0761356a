// A commit that fails on a storage or database fault (src/registry/uploads.ts): the error is the
// store's, unwrapped (the HTTP layer maps it, e.g. a full disk to 507), nothing is linked, and
// what is left is consistent: the session as it was before the PUT, or no session at all.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openSqliteStores } from "../../src/metadata/sqlite.js";
import type { SqlMetadataStore } from "../../src/metadata/sql-store.js";
import { UploadService } from "../../src/registry/uploads.js";
import { createLogger } from "../../src/server/logger.js";
import type { Chunks } from "../../src/storage/driver.js";
import { FilesystemDriver } from "../../src/storage/drivers/filesystem.js";

const REPO = "ns/app";
const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
async function* bodyOf(b: Buffer): Chunks {
  yield b;
}
const full = (code: string) => Object.assign(new Error("no space left on device"), { code });

let root: string;
let blobs: FilesystemDriver;
let meta: SqlMetadataStore;
let uploads: UploadService;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "berth-faults-"));
  blobs = new FilesystemDriver(root);
  await blobs.init();
  ({ meta } = await openSqliteStores(join(root, "meta.db")));
  uploads = new UploadService({ storage: blobs, meta, now: Date.now, deleteEnabled: true, log: createLogger("silent") });
});

after(async () => {
  await meta.close();
  await rm(root, { recursive: true, force: true });
});

describe("a commit that meets a fault", () => {
  it("in the storage: the PUT's chunk is taken back, and the same PUT succeeds later", async () => {
    const blob = randomBytes(300_000);
    const { id } = await uploads.start(REPO);
    await uploads.append(REPO, id, bodyOf(blob.subarray(0, 100_000)));
    // The move of the verified upload to its blob key (a full disk creating its directory, say).
    const move = blobs.move;
    blobs.move = async () => {
      throw full("ENOSPC");
    };
    try {
      await assert.rejects(uploads.complete(REPO, id, sha256(blob), bodyOf(blob.subarray(100_000))), { code: "ENOSPC" });
    } finally {
      blobs.move = move;
    }
    assert.equal((await uploads.status(REPO, id)).size, 100_000, "the session is as it was before the PUT");
    assert.equal(await meta.linkedBlobSize(REPO, sha256(blob)), undefined);
    assert.deepEqual(await uploads.complete(REPO, id, sha256(blob), bodyOf(blob.subarray(100_000))), { digest: sha256(blob), size: blob.length });
    assert.equal(await meta.linkedBlobSize(REPO, sha256(blob)), blob.length);
  });

  it("in the metadata: nothing is linked and the session ends", async () => {
    const blob = randomBytes(50_000);
    const { id } = await uploads.start(REPO);
    const commitUpload = meta.commitUpload;
    meta.commitUpload = async () => {
      throw full("SQLITE_FULL");
    };
    try {
      await assert.rejects(uploads.complete(REPO, id, sha256(blob), bodyOf(blob)), { code: "SQLITE_FULL" });
    } finally {
      meta.commitUpload = commitUpload;
    }
    assert.equal(await meta.linkedBlobSize(REPO, sha256(blob)), undefined, "linked nowhere");
    assert.equal(await meta.getUpload(id), undefined, "the session is gone");
    assert.ok(!(await readdir(join(root, "uploads"))).includes(id), "and so are its bytes");
    // A retried push succeeds (over the unlinked blob the failed commit left).
    assert.deepEqual(await uploads.putWhole(REPO, sha256(blob), bodyOf(blob)), { digest: sha256(blob), size: blob.length });
    assert.equal(await meta.linkedBlobSize(REPO, sha256(blob)), blob.length);
  });

  it("a monolithic push whose discard fails too answers the push's own fault", async () => {
    const blob = randomBytes(10_000);
    const deleteUpload = meta.deleteUpload;
    const writer = blobs.writer;
    meta.deleteUpload = async () => {
      throw full("SQLITE_FULL");
    };
    blobs.writer = async (...args) => {
      const real = await writer.apply(blobs, args);
      return Object.assign(Object.create(real) as typeof real, {
        write: async () => {
          throw full("ENOSPC");
        },
      });
    };
    try {
      // The append's fault is the answer, not the discard's.
      await assert.rejects(uploads.putWhole(REPO, sha256(blob), bodyOf(blob)), (err: NodeJS.ErrnoException) => err.code === "ENOSPC");
    } finally {
      meta.deleteUpload = deleteUpload;
      blobs.writer = writer;
    }
    assert.equal(await meta.linkedBlobSize(REPO, sha256(blob)), undefined);
  });
});
