// One upload session served by two processes (src/registry/uploads.ts): the one that opened it
// keeps the running hash and reads back the chunks the other wrote; the other asks it for the
// digest at commit. Two UploadServices over the same stores, as two serving processes have,
// linked in-process the way src/server/peer-link.ts links processes (tested on its own).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openSqliteStores } from "../../src/metadata/sqlite.js";
import type { PeerHandler, Peers } from "../../src/registry/peers.js";
import { RegistryError } from "../../src/registry/errors.js";
import { UploadService } from "../../src/registry/uploads.js";
import { createLogger } from "../../src/server/logger.js";
import type { ByteRange, Chunks } from "../../src/storage/blobstore.js";
import { FilesystemBlobStore } from "../../src/storage/drivers/filesystem.js";

const REPO = "ns/app";
const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const body = (b: Buffer): Chunks => (async function* () {
  // In pieces, as a socket delivers them.
  for (let at = 0; at < b.length; at += 65536) yield b.subarray(at, at + 65536);
})();

let root: string;
const closers: (() => Promise<void>)[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "berth-peers-"));
});

after(async () => {
  for (const close of closers) await close();
  await rm(root, { recursive: true, force: true });
});

/** Two processes' peer links joined to each other. */
function linkedPeers(): [Peers, Peers] {
  const handlers: PeerHandler[] = [async () => undefined, async () => undefined];
  const side = (me: 0 | 1): Peers => ({
    tell: (message) => void handlers[1 - me]!(message),
    ask: (message) => handlers[1 - me]!(message),
    answer: (handler) => void (handlers[me] = handler),
  });
  return [side(0), side(1)];
}

interface Process {
  uploads: UploadService;
  blobs: FilesystemBlobStore;
  /** the upload byte ranges this process read (undefined: the whole upload) */
  reads: (ByteRange | undefined)[];
}

/** A serving process: its own store handles on the shared root and database. */
async function servingProcess(peers?: Peers): Promise<Process> {
  const blobs = new FilesystemBlobStore(root);
  await blobs.init();
  const { meta } = await openSqliteStores(join(root, "meta.db"));
  closers.push(() => meta.close());
  const reads: (ByteRange | undefined)[] = [];
  const readUpload = blobs.readUpload.bind(blobs);
  blobs.readUpload = (id, range) => {
    reads.push(range);
    return readUpload(id, range);
  };
  const uploads = new UploadService({ blobs, meta, now: Date.now, deleteEnabled: true, log: createLogger("silent"), peers });
  return { uploads, blobs, reads };
}

async function stored(p: Process, digest: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of (await p.blobs.read(digest))!) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const range = (start: number, length: number) => ({ start, end: start + length - 1 });

describe("an upload session across two processes", () => {
  it("is hashed once, by the process that opened it, and committed by the other", async () => {
    const [pa, pb] = linkedPeers();
    const a = await servingProcess(pa);
    const b = await servingProcess(pb);
    const chunks = [randomBytes(300_000), randomBytes(200_000), randomBytes(100_001), randomBytes(70_000)];
    const whole = Buffer.concat(chunks);
    const { id } = await a.uploads.start(REPO);
    await b.uploads.append(REPO, id, body(chunks[0]!), range(0, 300_000));
    await a.uploads.append(REPO, id, body(chunks[1]!), range(300_000, 200_000));
    await b.uploads.append(REPO, id, body(chunks[2]!), range(500_000, 100_001));
    const done = await b.uploads.complete(REPO, id, sha256(whole), body(chunks[3]!));
    assert.deepEqual(done, { digest: sha256(whole), size: whole.length });
    assert.ok((await stored(b, done.digest)).equals(whole));
    assert.deepEqual(b.reads, [], "the committing process read nothing back");
    assert.deepEqual(
      a.reads,
      [{ start: 0, end: 299_999 }, { start: 500_000, end: 600_000 }, { start: 600_001, end: 670_000 }],
      "the hash's process read back exactly the other's chunks",
    );
  });

  it("a long chunk written away from the hash is read back while it is still being written", async () => {
    const [pa, pb] = linkedPeers();
    const a = await servingProcess(pa);
    const b = await servingProcess(pb);
    const MiB = 1024 * 1024;
    const blob = randomBytes(40 * MiB + 7);
    const { id } = await a.uploads.start(REPO);
    await b.uploads.append(REPO, id, body(blob), range(0, blob.length));
    assert.deepEqual(await b.uploads.complete(REPO, id, sha256(blob), undefined), { digest: sha256(blob), size: blob.length });
    assert.deepEqual(b.reads, [], "the committing process read nothing back");
    // The hash's process heard of the chunk in steps and read each back as it came.
    assert.ok(a.reads.length >= 3, `${a.reads.length} read-backs`);
    let next = 0;
    for (const r of a.reads) {
      assert.equal(r!.start, next, "stretches follow each other");
      next = r!.end + 1;
    }
    assert.equal(next, blob.length, "and cover the chunk");
    assert.ok(a.reads[0]!.end < blob.length - MiB, "the first was read before the chunk ended");
  });

  it("a digest that does not match leaves the session usable; it is then re-read at commit", async () => {
    const [pa, pb] = linkedPeers();
    const a = await servingProcess(pa);
    const b = await servingProcess(pb);
    const blob = randomBytes(123_456);
    const { id } = await a.uploads.start(REPO);
    await b.uploads.append(REPO, id, body(blob));
    await assert.rejects(b.uploads.complete(REPO, id, sha256(Buffer.from("other")), undefined), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "DIGEST_INVALID");
      return true;
    });
    assert.deepEqual(await a.uploads.complete(REPO, id, sha256(blob), undefined), { digest: sha256(blob), size: blob.length });
    assert.ok(a.reads.includes(undefined), "re-read whole: the hash went to the asker");
  });

  it("without any process holding the hash (a restart), the upload is re-read at commit", async () => {
    const b = await servingProcess();
    const opener = await servingProcess();
    const blob = randomBytes(99_999);
    const { id } = await opener.uploads.start(REPO);
    await b.uploads.append(REPO, id, body(blob));
    assert.deepEqual(await b.uploads.complete(REPO, id, sha256(blob), undefined), { digest: sha256(blob), size: blob.length });
    assert.deepEqual(b.reads, [undefined]);
  });

  it("a digest of another algorithm is computed by re-reading, wherever the hash is", async () => {
    const [pa, pb] = linkedPeers();
    const a = await servingProcess(pa);
    const b = await servingProcess(pb);
    const blob = randomBytes(50_000);
    const digest = `sha512:${createHash("sha512").update(blob).digest("hex")}`;
    const { id } = await a.uploads.start(REPO);
    await b.uploads.append(REPO, id, body(blob));
    assert.deepEqual(await a.uploads.complete(REPO, id, digest, undefined), { digest, size: blob.length });
  });

  it("a session cancelled by the other process leaves no hash behind to answer for it", async () => {
    const [pa, pb] = linkedPeers();
    const a = await servingProcess(pa);
    const b = await servingProcess(pb);
    const { id } = await a.uploads.start(REPO);
    await b.uploads.append(REPO, id, body(randomBytes(1000)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(a.reads, [{ start: 0, end: 999 }], "the opener read the chunk back");
    await b.uploads.cancel(REPO, id);
    // Asked as a third process would: told the session is gone, the opener dropped its hash.
    assert.equal(await pb.ask({ op: "upload-digest", id, size: 1000 }), undefined);
  });
});
