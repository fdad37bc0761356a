// The one suite every storage driver must pass (filesystem, memory, S3). A new driver is done
// when this is green against it. Keys are unique per test, so a shared bucket is fine.
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import type { Chunks, ObjectWriter, StorageDriver } from "../../src/storage/driver.js";

export interface DriverSuiteOptions {
  /**
   * How another process opens a driver over the same storage as `driver`: a module exporting
   * `openDriver(args)`, and its (JSON) args. Drivers whose objects live in one process's memory
   * have none, and skip the test of a writer continued by another process.
   */
  child?: (driver: StorageDriver) => { module: string; args: unknown };
}

const MiB = 1024 * 1024;

export function driverSuite(name: string, open: () => Promise<StorageDriver>, options: DriverSuiteOptions = {}): void {
  describe(`storage driver contract: ${name}`, () => {
    let counter = 0;
    /** A key prefix no other test (or run) uses. */
    const fresh = () => `suite/${process.pid}-${Date.now().toString(36)}-${counter++}`;

    it("an absent key is absent everywhere, and deleting it is no error", async () => {
      const d = await open();
      const key = `${fresh()}/nothing`;
      assert.equal(await d.stat(key), undefined);
      assert.equal(await d.get(key), undefined);
      assert.equal(await d.get(key, { start: 0, end: 0 }), undefined);
      assert.equal(await d.getSmall(key), undefined);
      await d.delete([key]);
      await assert.rejects(d.move(key, `${fresh()}/elsewhere`), "moving an absent key fails");
    });

    it("put, then stat, getSmall and get; a second put replaces the object", async () => {
      const d = await open();
      const key = `${fresh()}/small`;
      const data = randomBytes(5000);
      const before = Date.now();
      await d.put(key, data);
      const info = await d.stat(key);
      assert.equal(info?.key, key);
      assert.equal(info?.size, 5000);
      assert.ok(Math.abs(info!.modified - before) < 60_000, `modified ${info!.modified}, now ${before}`);
      assert.deepEqual(await d.getSmall(key), data);
      assert.deepEqual(await collect((await d.get(key))!), data);
      await d.put(key, Buffer.from("new"));
      assert.equal((await d.stat(key))?.size, 3);
      assert.deepEqual(await d.getSmall(key), Buffer.from("new"));
      await d.put(`${fresh()}/empty`, Buffer.alloc(0));
    });

    it("ranges: the first byte, the last, a middle, the whole; past the end or backwards fails", async () => {
      const d = await open();
      const key = `${fresh()}/ranged`;
      const data = randomBytes(10_000);
      await d.put(key, data);
      for (const [start, end] of [
        [0, 0],
        [9_999, 9_999],
        [1234, 5678],
        [0, 9_999],
      ] as const) {
        assert.deepEqual(await collect((await d.get(key, { start, end }))!), data.subarray(start, end + 1), `range ${start}-${end}`);
      }
      await assert.rejects(async () => collect((await d.get(key, { start: 5, end: 10_000 }))!), "a range one byte past the end");
      await assert.rejects(async () => collect((await d.get(key, { start: 10_000, end: 10_000 }))!), "a range starting at the end");
      await assert.rejects(async () => collect((await d.get(key, { start: 7, end: 6 }))!), "a backwards range");
    });

    it("a writer writes in many pieces, across several writes; commit makes the object", async () => {
      const d = await open();
      const key = `${fresh()}/pieces`;
      const parts = Array.from({ length: 40 }, (_, i) => randomBytes(1 + ((i * 7919) % 50_000)));
      const whole = Buffer.concat(parts);
      const writer = await d.writer(key);
      assert.equal(writer.size, 0);
      assert.equal(await writer.write(chunksOf(...parts.slice(0, 25))), byteLength(parts.slice(0, 25)));
      assert.equal(await writer.write(chunksOf(...parts.slice(25))), whole.length);
      assert.equal(writer.size, whole.length);
      await writer.commit();
      assert.equal((await d.stat(key))?.size, whole.length);
      assert.deepEqual(await collect((await d.get(key))!), whole);
    });

    it("a writer continued at a smaller size drops what a cut-off request wrote past it", async () => {
      const d = await open();
      const key = `${fresh()}/cut`;
      const [a, lost, b] = [randomBytes(60_000), randomBytes(40_000), randomBytes(10_000)];
      const first = await d.writer(key);
      await first.write(chunksOf(a));
      const recorded = { at: first.size, state: first.state };
      // A second request wrote on, but was cut off before its size was recorded.
      const cutOff = await d.writer(key, recorded);
      await cutOff.write(chunksOf(lost));
      const resumed = await d.writer(key, recorded);
      assert.equal(resumed.size, a.length);
      assert.equal(await resumed.write(chunksOf(b)), a.length + b.length);
      await resumed.commit();
      assert.deepEqual(await collect((await d.get(key))!), Buffer.concat([a, b]));
    });

    it("a commit without a write keeps exactly the recorded bytes", async () => {
      const d = await open();
      const key = `${fresh()}/commit-only`;
      const data = randomBytes(30_000);
      const first = await d.writer(key);
      await first.write(chunksOf(data));
      const extra = await d.writer(key, { at: first.size, state: first.state });
      await extra.write(chunksOf(randomBytes(999)));
      await (await d.writer(key, { at: first.size, state: first.state })).commit();
      assert.deepEqual(await collect((await d.get(key))!), data);
    });

    it("a writer nothing was written to commits an empty object, with or without an empty write", async () => {
      const d = await open();
      const key = `${fresh()}/empty`;
      await (await d.writer(key)).commit();
      assert.equal((await d.stat(key))?.size, 0);
      assert.deepEqual(await collect((await d.get(key))!), Buffer.alloc(0));
      const other = `${fresh()}/empty-write`;
      const writer = await d.writer(other);
      assert.equal(await writer.write(chunksOf()), 0);
      await writer.commit();
      assert.deepEqual(await d.getSmall(other), Buffer.alloc(0));
    });

    it("cancel discards what every writer wrote; a writer never written cancels too", async () => {
      const d = await open();
      const key = `${fresh()}/cancelled`;
      const first = await d.writer(key);
      await first.write(chunksOf(randomBytes(20_000)));
      const second = await d.writer(key, { at: first.size, state: first.state });
      await second.write(chunksOf(randomBytes(7)));
      await (await d.writer(key, { at: second.size, state: second.state })).cancel();
      assert.equal(await d.stat(key), undefined);
      await (await d.writer(`${fresh()}/never`)).cancel();
      // The key is free for a new object.
      const again = await d.writer(key);
      await again.write(chunksOf(Buffer.from("again")));
      await again.commit();
      assert.deepEqual(await d.getSmall(key), Buffer.from("again"));
    });

    it("a failing chunk source fails the write; a writer at the last size continues cleanly", async () => {
      const d = await open();
      const key = `${fresh()}/broken`;
      const a = randomBytes(3 * MiB + 5);
      const first = await d.writer(key);
      await first.write(chunksOf(a));
      const recorded = { at: first.size, state: first.state };
      async function* broken(): Chunks {
        yield randomBytes(2 * MiB);
        throw new Error("client went away");
      }
      await assert.rejects((await d.writer(key, recorded)).write(broken()), /client went away/);
      const b = randomBytes(1000);
      const resumed = await d.writer(key, recorded);
      await resumed.write(chunksOf(b));
      await resumed.commit();
      assert.ok((await collect((await d.get(key))!)).equals(Buffer.concat([a, b])));
    });

    it("writes of declared length, across requests and part sizes, mixed with undeclared ones", async () => {
      // Sizes that end inside a part, exactly on 5 MiB (S3's smallest part), and span several
      // parts, with a write of unknown length in between and a declared empty one.
      const bodies = [3 * MiB + 5, 7 * MiB - 5, 0, 11 * MiB + 3, 2 * MiB, 100].map((n) => randomBytes(n));
      const d = await open();
      const key = `${fresh()}/declared`;
      let recorded: { at: number; state: string } | undefined;
      for (const [i, body] of bodies.entries()) {
        const writer = await d.writer(key, recorded);
        const declared = i === 4 ? undefined : body.length;
        assert.equal(await writer.write(split(body, 65_521), undefined, declared), byteLength(bodies.slice(0, i + 1)));
        recorded = { at: writer.size, state: writer.state };
      }
      const last = await d.writer(key, recorded);
      const tail = randomBytes(6 * MiB + 1);
      await last.write(split(tail, 100_000), undefined, tail.length);
      await last.commit();
      assert.ok((await collect((await d.get(key))!)).equals(Buffer.concat([...bodies, tail])));
    });

    it("a body of declared length that breaks off fails with its own error; a writer at the last size continues", async () => {
      const d = await open();
      const key = `${fresh()}/declared-broken`;
      const a = randomBytes(2 * MiB + 3);
      const first = await d.writer(key);
      await first.write(chunksOf(a), undefined, a.length);
      const recorded = { at: first.size, state: first.state };
      // Past a part's end (S3: 5 MiB), then gone.
      async function* broken(): Chunks {
        yield* split(randomBytes(6 * MiB), 256 * 1024);
        throw new Error("client went away");
      }
      await assert.rejects((await d.writer(key, recorded)).write(broken(), undefined, 9 * MiB), /client went away/);
      const b = randomBytes(4 * MiB);
      const resumed = await d.writer(key, recorded);
      await resumed.write(chunksOf(b), undefined, b.length);
      await resumed.commit();
      assert.ok((await collect((await d.get(key))!)).equals(Buffer.concat([a, b])));
    });

    it("a writer continued by another process, then here again", { skip: !options.child && "objects of one process" }, async () => {
      const d = await open();
      const key = `${fresh()}/shared`;
      const [a, b, c] = [randomBytes(3 * MiB + 1), randomBytes(5 * MiB + 7), randomBytes(100)];
      const first = await d.writer(key);
      await first.write(chunksOf(a));
      const { module, args } = options.child!(d);
      const theirs = await inChild({ module, args, key, at: first.size, state: first.state, data: b.toString("base64") });
      assert.equal(theirs.size, a.length + b.length);
      const last = await d.writer(key, { at: theirs.size, state: theirs.state });
      assert.equal(await last.write(chunksOf(c)), a.length + b.length + c.length);
      await last.commit();
      assert.ok((await collect((await d.get(key))!)).equals(Buffer.concat([a, b, c])));
    });

    it("move renames, over an existing object too", async () => {
      const d = await open();
      const base = fresh();
      await d.put(`${base}/from`, Buffer.from("new bytes"));
      await d.put(`${base}/deep/to`, Buffer.from("old"));
      await d.move(`${base}/from`, `${base}/deep/to`);
      assert.equal(await d.stat(`${base}/from`), undefined);
      assert.deepEqual(await d.getSmall(`${base}/deep/to`), Buffer.from("new bytes"));
      // Into a "directory" nothing was written to yet.
      await d.move(`${base}/deep/to`, `${base}/new/dir/to`);
      assert.deepEqual(await d.getSmall(`${base}/new/dir/to`), Buffer.from("new bytes"));
    });

    it("two uploads of the same bytes moved to one key at once leave one good object", async () => {
      const d = await open();
      const base = fresh();
      const data = randomBytes(2 * MiB + 3);
      const uploads = await Promise.all(
        [0, 1].map(async (i) => {
          const w = await d.writer(`${base}/upload-${i}`);
          await w.write(chunksOf(data.subarray(0, MiB), data.subarray(MiB)));
          await w.commit();
          return `${base}/upload-${i}`;
        }),
      );
      await Promise.all(uploads.map((u) => d.move(u, `${base}/blob`)));
      assert.ok((await collect((await d.get(`${base}/blob`))!)).equals(data));
      assert.deepEqual((await list(d, `${base}/`)).map((o) => o.key), [`${base}/blob`]);
    });

    it("delete takes several keys, absent ones among them", async () => {
      const d = await open();
      const base = fresh();
      for (const k of ["a", "b", "c"]) await d.put(`${base}/${k}`, Buffer.from(k));
      await d.delete([`${base}/a`, `${base}/missing`, `${base}/b`, `${base}/a`]);
      assert.deepEqual((await list(d, `${base}/`)).map((o) => o.key), [`${base}/c`]);
      await d.delete([]);
    });

    it("list by prefix in byte order of the keys, partial segments too", async () => {
      const d = await open();
      const base = fresh();
      // `-` and `.` sort before `/`: p/a-b comes before p/a/x, though a directory walk meets p/a first.
      const keys = ["p/a-b", "p/a.c", "p/a/x", "p/a/y/z", "p/aa", "p/b", "q", "p0", "pa"].map((k) => `${base}/${k}`);
      await Promise.all(keys.map((k, i) => d.put(k, Buffer.alloc(i))));
      const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      const all = await list(d, `${base}/`);
      assert.deepEqual(all.map((o) => o.key), sorted);
      assert.deepEqual(all.map((o) => o.size), sorted.map((k) => keys.indexOf(k)), "sizes");
      assert.deepEqual((await list(d, `${base}/p/a`)).map((o) => o.key), sorted.filter((k) => k.startsWith(`${base}/p/a`)));
      assert.deepEqual((await list(d, `${base}/p/a/`)).map((o) => o.key.slice(base.length + 1)), ["p/a/x", "p/a/y/z"]);
      assert.deepEqual((await list(d, `${base}/p`)).length, 8);
      assert.deepEqual(await list(d, `${base}/nothing`), []);
    });

    it("lists and deletes past 1000 keys (a page of S3)", async () => {
      const d = await open();
      const base = fresh();
      const keys = Array.from({ length: 1100 }, (_, i) => `${base}/k${String(i).padStart(5, "0")}`);
      for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => d.put(k, Buffer.from("x"))));
      const listed = await list(d, `${base}/`);
      assert.equal(listed.length, 1100);
      assert.deepEqual(listed.map((o) => o.key), keys);
      await d.delete(keys);
      assert.deepEqual(await list(d, `${base}/`), []);
    });

    it("deletes a sweep's batch in one call: keys across many directories, absent ones among them, neighbours kept", async () => {
      const d = await open();
      const base = fresh();
      // As garbage collection deletes blobs: `<2 hex>/<hex>` keys, 1000 at a time plus a remainder.
      const key = (i: number) => `${base}/${(i % 256).toString(16).padStart(2, "0")}/${i.toString(16).padStart(8, "0")}`;
      const doomed = Array.from({ length: 1200 }, (_, i) => key(i));
      const kept = [key(5000), key(5001)];
      for (let i = 0; i < doomed.length; i += 50) await Promise.all(doomed.slice(i, i + 50).map((k) => d.put(k, Buffer.from("x"))));
      for (const k of kept) await d.put(k, Buffer.from("kept"));
      await d.delete([...doomed, key(9999), doomed[0]!]);
      assert.deepEqual((await list(d, `${base}/`)).map((o) => o.key), kept.sort());
      assert.deepEqual(await d.getSmall(kept[0]!), Buffer.from("kept"));
    });

    it("reads a multi-MiB object whole, by range and by copy", async () => {
      const d = await open();
      const key = `${fresh()}/large`;
      // Larger than the read buffers, and not a multiple of them, so every piece boundary is crossed.
      const whole = randomBytes(17 * MiB + 13);
      const writer = await d.writer(key);
      await writer.write(chunksOf(whole));
      await writer.commit();
      assert.ok((await collect((await d.get(key))!)).equals(whole), "read as a stream");
      const range = { start: MiB - 1, end: 9 * MiB + 2 };
      const part = whole.subarray(range.start, range.end + 1);
      assert.ok((await collect((await d.get(key, range))!)).equals(part), "range as a stream");
      for (const [r, expected] of [[undefined, whole], [range, part]] as const) {
        const body = (await d.get(key, r))!;
        if (!body.copyTo) {
          body.destroy();
          continue;
        }
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

    it("writes of odd sizes at odd offsets, each by a writer of its own, read back exactly", async () => {
      // Sizes around 1 MiB and 4 KiB, so that a driver writing large bodies in aligned pieces
      // (the filesystem's direct I/O) or parts (S3) crosses every kind of boundary.
      const parts = [MiB + 100, 3 * MiB + 7, 5, 2 * MiB, 4096 * 3, MiB - 1].map((n) => randomBytes(n));
      const whole = Buffer.concat(parts);
      const d = await open();
      const key = `${fresh()}/odd`;
      let recorded: { at: number; state: string } = { at: 0, state: "" };
      for (const [i, part] of parts.entries()) {
        // Split each body into pieces of uneven sizes, as a socket delivers them.
        const pieces: Buffer[] = [];
        for (let at = 0; at < part.length; at += 65_531 + i) pieces.push(part.subarray(at, at + 65_531 + i));
        const writer: ObjectWriter = await d.writer(key, i === 0 ? undefined : recorded);
        assert.equal(await writer.write(chunksOf(...pieces)), byteLength(parts.slice(0, i + 1)));
        recorded = { at: writer.size, state: writer.state };
      }
      await (await d.writer(key, recorded)).commit();
      assert.equal((await d.stat(key))?.size, whole.length);
      for (const [start, end] of [
        [0, whole.length - 1],
        [1, MiB + 99],
        [MiB + 100, 4 * MiB + 106],
        [4095, 4095 + 2 * MiB],
        [whole.length - MiB - 3, whole.length - 1],
        [7, 7],
      ] as const) {
        assert.ok((await collect((await d.get(key, { start, end }))!)).equals(whole.subarray(start, end + 1)), `range ${start}-${end}`);
      }
    });

    it("refuses keys that could escape its namespace", async () => {
      const d = await open();
      for (const key of ["../x", "/a", "a//b", "", "a/../b", ".hidden", "a/.hidden", "a/", "a b", "x".repeat(1025)]) {
        await assert.rejects(d.stat(key), `stat ${JSON.stringify(key)}`);
        await assert.rejects(d.put(key, Buffer.from("x")), `put ${JSON.stringify(key)}`);
        await assert.rejects(async () => (await d.writer(key)).write(chunksOf(Buffer.from("x"))), `writer ${JSON.stringify(key)}`);
      }
      await assert.rejects(async () => list(d, "../"), "a prefix climbing out");
    });

    it("check() passes on a working backend", async () => {
      await (await open()).check();
    });
  });
}

async function* chunksOf(...parts: Buffer[]): Chunks {
  yield* parts;
}

function byteLength(parts: Buffer[]): number {
  return parts.reduce((n, p) => n + p.length, 0);
}

async function* split(data: Buffer, size: number): Chunks {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

async function list(d: StorageDriver, prefix: string) {
  const all = [];
  for await (const o of d.list(prefix)) all.push(o);
  return all;
}

/** Runs driver-child.ts: it opens the driver, continues the writer with `data`, and answers. */
function inChild(request: { module: string; args: unknown; key: string; at: number; state: string; data: string }): Promise<{ size: number; state: string }> {
  const child = fork(fileURLToPath(new URL("./driver-child.js", import.meta.url)), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    let answer: { size: number; state: string } | { error: string } | undefined;
    child.on("message", (m) => (answer = m as typeof answer));
    child.once("exit", (code) => {
      if (answer && "size" in answer) resolve(answer);
      else reject(new Error(`the child exited with ${code}: ${answer && "error" in answer ? answer.error : "no answer"}`));
    });
    child.send(request);
  });
}
