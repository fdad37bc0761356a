// The one suite every BlobStore driver must pass. A new driver is done when this is green.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import type { BlobStore } from "../../src/storage/blobstore.js";

export function blobStoreSuite(name: string, open: () => Promise<BlobStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    const sha = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;
    const collect = async (stream: AsyncIterable<unknown>) => {
      const parts: Buffer[] = [];
      for await (const c of stream) parts.push(Buffer.from(c as Uint8Array));
      return Buffer.concat(parts);
    };
    async function* chunksOf(...parts: Buffer[]) {
      yield* parts;
    }
    let counter = 0;
    const newId = () => `upload-${process.pid}-${Date.now()}-${counter++}`;

    it("an absent blob is absent everywhere", async () => {
      const store = await open();
      const digest = sha(randomBytes(8));
      assert.equal(await store.stat(digest), undefined);
      assert.equal(await store.read(digest), undefined);
      assert.equal(await store.readSmall(digest), undefined);
      assert.equal(await store.delete(digest), false);
    });

    it("appends chunks, commits, reads back whole and by range", async () => {
      const store = await open();
      const a = randomBytes(100_000);
      const b = randomBytes(33_333);
      const whole = Buffer.concat([a, b]);
      const id = newId();
      assert.equal(await store.uploadSize(id), 0, "an upload nothing was written to is empty");
      assert.equal(await store.append(id, chunksOf(a)), a.length);
      assert.equal(await store.append(id, chunksOf(b.subarray(0, 10), b.subarray(10)), { at: a.length }), whole.length);
      assert.equal(await store.uploadSize(id), whole.length);
      assert.deepEqual(await collect(await store.readUpload(id)), whole);
      assert.deepEqual(await collect(await store.readUpload(id, { start: 99_990, end: 100_009 })), whole.subarray(99_990, 100_010));
      await assert.rejects(async () => collect(await store.readUpload(id, { start: 100_000, end: whole.length })), "a range beyond the end fails");
      await assert.rejects(async () => collect(await store.readUpload(newId(), { start: 0, end: 0 })), "a range of no upload fails");
      const digest = sha(whole);
      await store.commit(id, digest);
      assert.equal(await store.uploadSize(id), 0, "the upload is gone after commit");
      assert.equal(await store.stat(digest), whole.length);
      assert.deepEqual(await collect((await store.read(digest))!), whole);
      assert.deepEqual(await store.readSmall(digest), whole);
      assert.deepEqual(await collect((await store.read(digest, { start: 5, end: 99_999 + 7 }))!), whole.subarray(5, 100_007));
      assert.ok((await collectList(store)).includes(digest));
      assert.equal(await store.delete(digest), true);
      assert.equal(await store.stat(digest), undefined);
    });

    it("an empty blob is a blob, from an upload never written or written nothing", async () => {
      const store = await open();
      const digest = sha(Buffer.alloc(0));
      assert.deepEqual(await collect(await store.readUpload(newId())), Buffer.alloc(0));
      await store.commit(newId(), digest);
      assert.equal(await store.stat(digest), 0);
      assert.equal(await store.delete(digest), true);
      const id = newId();
      assert.equal(await store.append(id, chunksOf(), { sync: true }), 0);
      await store.commit(id, digest, { synced: true });
      assert.equal(await store.stat(digest), 0);
      assert.deepEqual(await collect((await store.read(digest))!), Buffer.alloc(0));
    });

    it("committing bytes that already exist keeps one blob", async () => {
      const store = await open();
      const data = randomBytes(1000);
      const digest = sha(data);
      for (let i = 0; i < 2; i++) {
        const id = newId();
        await store.append(id, chunksOf(data), { sync: i === 0 });
        await store.commit(id, digest, { synced: i === 0 });
      }
      assert.equal(await store.stat(digest), 1000);
      assert.equal((await collectList(store)).filter((d) => d === digest).length, 1);
    });

    it("a deleted upload is empty again, and deleting twice is fine", async () => {
      const store = await open();
      const id = newId();
      await store.append(id, chunksOf(Buffer.from("abc")));
      await store.deleteUpload(id);
      await store.deleteUpload(id);
      assert.equal(await store.uploadSize(id), 0);
      assert.deepEqual(await collect(await store.readUpload(id)), Buffer.alloc(0));
    });

    it("reads a multi-MiB blob whole, by range and by copy, and its upload back", async () => {
      const store = await open();
      // Larger than the read buffers, and not a multiple of them, so every piece boundary is crossed.
      const whole = randomBytes(17 * 1024 * 1024 + 13);
      const id = newId();
      await store.append(id, chunksOf(whole));
      assert.ok((await collect(await store.readUpload(id))).equals(whole), "readUpload");
      const digest = sha(whole);
      await store.commit(id, digest);
      assert.ok((await collect((await store.read(digest))!)).equals(whole), "read as a stream");
      const range = { start: 1024 * 1024 - 1, end: 9 * 1024 * 1024 + 2 };
      const part = whole.subarray(range.start, range.end + 1);
      assert.ok((await collect((await store.read(digest, range))!)).equals(part), "range as a stream");
      for (const [r, expected] of [[undefined, whole], [range, part]] as const) {
        const body = (await store.read(digest, r))!;
        if (!body.copyTo) continue;
        const copied: Buffer[] = [];
        const sink = new Writable({
          write(chunk: Buffer, _enc, done) {
            copied.push(Buffer.from(chunk));
            setImmediate(done);
          },
        });
        await body.copyTo(sink);
        assert.ok(Buffer.concat(copied).equals(expected), "copyTo");
      }
    });

    it("appends of odd sizes at odd offsets read back exactly, whole and by range", async () => {
      // Sizes around 1 MiB and 4 KiB, so that a driver writing large bodies in aligned pieces
      // (the filesystem's direct I/O) crosses every kind of boundary: a body that starts and ends
      // off alignment, one of exactly 2 MiB at an odd offset, a few bytes in between.
      const MiB = 1024 * 1024;
      const parts = [MiB + 100, 3 * MiB + 7, 5, 2 * MiB, 4096 * 3, MiB - 1].map((n) => randomBytes(n));
      const whole = Buffer.concat(parts);
      const store = await open();
      const id = newId();
      let size = 0;
      for (const [i, part] of parts.entries()) {
        // Split each body into pieces of uneven sizes, as a socket delivers them.
        const pieces: Buffer[] = [];
        for (let at = 0; at < part.length; at += 65_531 + i) pieces.push(part.subarray(at, at + 65_531 + i));
        size = await store.append(id, chunksOf(...pieces), { at: size });
        assert.equal(size, parts.slice(0, i + 1).reduce((n, p) => n + p.length, 0));
      }
      assert.equal(await store.uploadSize(id), whole.length);
      assert.ok((await collect(await store.readUpload(id))).equals(whole), "whole");
      for (const [start, end] of [
        [0, whole.length - 1],
        [1, MiB + 99],
        [MiB + 100, 4 * MiB + 106],
        [4095, 4095 + 2 * MiB],
        [whole.length - MiB - 3, whole.length - 1],
        [7, 7],
      ] as const) {
        const got = await collect(await store.readUpload(id, { start, end }));
        assert.ok(got.equals(whole.subarray(start, end + 1)), `range ${start}-${end}`);
      }
      const digest = sha(whole);
      await store.commit(id, digest);
      assert.ok((await collect((await store.read(digest))!)).equals(whole), "the committed blob");
    });

    it("refuses ids and digests that could escape its namespace", async () => {
      const store = await open();
      for (const id of ["../x", "a/b", "", ".", "x".repeat(65)]) {
        await assert.rejects(store.append(id, chunksOf(Buffer.from("x"))), `append to id ${JSON.stringify(id)}`);
        await assert.rejects(store.uploadSize(id), `size of id ${JSON.stringify(id)}`);
      }
      for (const digest of ["sha256:../../etc/passwd", "../sha256:00", "sha256:" + "g".repeat(64)]) {
        await assert.rejects(store.stat(digest), `digest ${digest}`);
      }
    });

    it("a failing chunk source leaves what was appended before it", async () => {
      const store = await open();
      const id = newId();
      async function* broken() {
        yield Buffer.from("abc");
        throw new Error("client went away");
      }
      await assert.rejects(store.append(id, broken()), /client went away/);
      assert.equal(await store.uploadSize(id), 3);
    });

    it("an aborted append writes nothing from then on and rejects with the reason", async () => {
      const store = await open();
      const id = newId();
      const before = randomBytes(3 * 1024 * 1024);
      const controller = new AbortController();
      async function* cutOff() {
        yield before;
        controller.abort(new Error("lease lost"));
        yield randomBytes(1024 * 1024);
      }
      await assert.rejects(store.append(id, cutOff(), { signal: controller.signal }), /lease lost/);
      assert.ok((await store.uploadSize(id)) <= before.length, "nothing after the abort was written");
    });

    it("an upload cut back forgets the bytes past the cut, and appends go on from there", async () => {
      const store = await open();
      const id = newId();
      await store.truncateUpload(id, 0);
      assert.equal(await store.uploadSize(id), 0, "cutting an upload never written is fine");
      const kept = randomBytes(3 * 1024 * 1024 + 5);
      await store.append(id, chunksOf(kept));
      await store.append(id, chunksOf(randomBytes(2 * 1024 * 1024 + 3)), { at: kept.length });
      await store.truncateUpload(id, kept.length);
      assert.equal(await store.uploadSize(id), kept.length);
      const next = randomBytes(1000);
      assert.equal(await store.append(id, chunksOf(next), { at: kept.length }), kept.length + next.length);
      const whole = Buffer.concat([kept, next]);
      assert.ok((await collect(await store.readUpload(id))).equals(whole));
      await store.commit(id, sha(whole));
      assert.ok((await collect((await store.read(sha(whole)))!)).equals(whole));
    });
  });
}

async function collectList(store: BlobStore): Promise<string[]> {
  const all: string[] = [];
  for await (const d of store.list()) all.push(d);
  return all;
}
