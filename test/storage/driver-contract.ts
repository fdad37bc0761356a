// Contract cases for StorageDriver (src/storage/driver.ts), written against the interface only so
// that every driver can run them; meant to join the one shared suite (driver-suite.ts).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import type { Chunks, StorageDriver } from "../../src/storage/driver.js";

export interface ContractOptions {
  /** bytes a writer must exceed to cross a part boundary (S3: its chunk size); default 1 MiB */
  partSize?: number;
}

export function storageDriverContract(name: string, open: () => Promise<StorageDriver>, options: ContractOptions = {}): void {
  const partSize = options.partSize ?? 1024 * 1024;
  let counter = 0;
  /** A fresh key prefix per case, so cases never see each other's objects. */
  const space = () => `contract-${process.pid}-${Date.now().toString(36)}-${counter++}/`;

  describe(`StorageDriver contract: ${name}`, () => {
    it("an absent key is absent everywhere, and deleting it is fine", async () => {
      const d = await open();
      const key = `${space()}missing`;
      assert.equal(await d.stat(key), undefined);
      assert.equal(await d.get(key), undefined);
      assert.equal(await d.get(key, { start: 0, end: 0 }), undefined);
      assert.equal(await d.getSmall(key), undefined);
      await d.delete([key]);
      await assert.rejects(d.move(key, `${key}-to`));
      assert.deepEqual(await keysOf(d, key), []);
    });

    it("puts, stats, reads whole and small, and replaces whole", async () => {
      const d = await open();
      const key = `${space()}obj`;
      const data = randomBytes(70_001);
      const before = Date.now();
      await d.put(key, data);
      const info = await d.stat(key);
      assert.equal(info?.key, key);
      assert.equal(info?.size, data.length);
      assert.ok(info!.modified > before - 60_000 && info!.modified < Date.now() + 60_000, "modified is a recent epoch ms");
      assert.ok((await collect((await d.get(key))!)).equals(data));
      assert.ok((await d.getSmall(key))!.equals(data));
      await d.put(key, Buffer.from("new"));
      assert.equal((await d.getSmall(key))!.toString(), "new");
      await d.put(`${key}-empty`, Buffer.alloc(0));
      assert.equal((await d.stat(`${key}-empty`))?.size, 0);
      assert.equal((await d.getSmall(`${key}-empty`))!.length, 0);
    });

    it("reads byte ranges, and a range past the end fails", async () => {
      const d = await open();
      const key = `${space()}ranged`;
      const data = randomBytes(100_000);
      await d.put(key, data);
      for (const [start, end] of [
        [0, 99_999],
        [0, 0],
        [99_999, 99_999],
        [12_345, 67_890],
      ] as const) {
        const got = await collect((await d.get(key, { start, end }))!);
        assert.ok(got.equals(data.subarray(start, end + 1)), `range ${start}-${end}`);
      }
      await assert.rejects(async () => collect((await d.get(key, { start: 99_000, end: 100_000 }))!), "a range running past the end");
      await assert.rejects(async () => collect((await d.get(key, { start: 100_000, end: 100_001 }))!), "a range starting past the end");
    });

    it("a writer appends across writes and writers, then commits to its key", async () => {
      const d = await open();
      const key = `${space()}upload`;
      const parts = [randomBytes(1000), randomBytes(partSize + 17), randomBytes(5), randomBytes(2 * partSize)];
      const w1 = await d.writer(key);
      assert.equal(w1.size, 0);
      assert.equal(await w1.write(chunks(parts[0]!)), 1000);
      assert.equal(await w1.write(split(parts[1]!, 65_536)), 1000 + partSize + 17);
      assert.equal(w1.size, 1000 + partSize + 17);
      // A later request continues with what the first one left.
      const w2 = await d.writer(key, { at: w1.size, state: w1.state });
      assert.equal(w2.size, w1.size);
      await w2.write(chunks(parts[2]!));
      const w3 = await d.writer(key, { at: w2.size, state: w2.state });
      const end = await w3.write(split(parts[3]!, 1 << 20));
      const whole = Buffer.concat(parts);
      assert.equal(end, whole.length);
      await w3.commit();
      assert.equal((await d.stat(key))?.size, whole.length);
      assert.ok((await collect((await d.get(key))!)).equals(whole));
    });

    it("an upload written nothing commits to an empty object", async () => {
      const d = await open();
      const a = `${space()}never-written`;
      await (await d.writer(a)).commit();
      assert.equal((await d.stat(a))?.size, 0);
      const b = `${space()}written-nothing`;
      const w = await d.writer(b);
      assert.equal(await w.write(chunks()), 0);
      const again = await d.writer(b, { at: 0, state: w.state });
      await again.commit();
      assert.equal((await d.stat(b))?.size, 0);
      assert.equal((await d.getSmall(b))!.length, 0);
    });

    it("a writer resumed at the recorded size drops what a cut-off request wrote past it", async () => {
      const d = await open();
      for (const recorded of [3000, partSize + 3000, 2 * partSize]) {
        const key = `${space()}cut-off`;
        const first = randomBytes(recorded);
        const w1 = await d.writer(key);
        await w1.write(split(first, 100_000));
        const saved = { at: w1.size, state: w1.state };
        // A request that wrote more (past a part boundary) but was never acknowledged.
        const lost = await d.writer(key, saved);
        await lost.write(split(randomBytes(partSize + 500), 200_000));
        const w2 = await d.writer(key, saved);
        const rest = randomBytes(partSize / 2 + 11);
        await w2.write(chunks(rest));
        await w2.commit();
        assert.ok((await collect((await d.get(key))!)).equals(Buffer.concat([first, rest])), `recorded ${recorded}`);
      }
    });

    it("a failing chunk source fails the write; the next writer continues from the recorded size", async () => {
      const d = await open();
      const key = `${space()}broken`;
      const good = randomBytes(partSize + 99);
      const w1 = await d.writer(key);
      await w1.write(chunks(good));
      const saved = { at: w1.size, state: w1.state };
      async function* broken() {
        yield randomBytes(partSize);
        yield randomBytes(partSize);
        throw new Error("client went away");
      }
      const w2 = await d.writer(key, saved);
      await assert.rejects(w2.write(broken()), /client went away/);
      const w3 = await d.writer(key, saved);
      const tail = randomBytes(10);
      await w3.write(chunks(tail));
      await w3.commit();
      assert.ok((await collect((await d.get(key))!)).equals(Buffer.concat([good, tail])));
    });

    it("cancel discards everything written, by this writer and earlier ones", async () => {
      const d = await open();
      const prefix = space();
      const key = `${prefix}cancelled`;
      const w1 = await d.writer(key);
      await w1.write(chunks(randomBytes(partSize + 1)));
      const w2 = await d.writer(key, { at: w1.size, state: w1.state });
      await w2.write(chunks(randomBytes(7)));
      await w2.cancel();
      assert.equal(await d.stat(key), undefined);
      assert.deepEqual(await keysOf(d, prefix), [], "nothing of the upload is left to list");
    });

    it("lists by prefix in byte order with sizes past 1000 keys, then deletes them in one call", async () => {
      const d = await open();
      const prefix = space();
      const names = Array.from({ length: 1500 }, (_, i) => `${prefix}k/${i.toString(36).padStart(3, "0")}`);
      names.push(`${prefix}k/Z`, `${prefix}k/a-b`, `${prefix}k/a_b`, `${prefix}k/\u00e9`);
      await inBatches(names, 48, (k) => d.put(k, Buffer.from(k)));
      await d.put(`${prefix}other`, Buffer.from("x"));
      const listed: { key: string; size: number }[] = [];
      for await (const o of d.list(`${prefix}k/`)) listed.push({ key: o.key, size: o.size });
      const expected = names.slice().sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      assert.deepEqual(
        listed.map((o) => o.key),
        expected,
      );
      assert.ok(listed.every((o) => o.size === Buffer.byteLength(o.key)));
      assert.deepEqual(await keysOf(d, `${prefix}k/zzz`), []);
      await d.delete([...names, `${prefix}never-there`]);
      assert.deepEqual(await keysOf(d, prefix), [`${prefix}other`]);
      await d.delete([]);
    });

    it("moves an object, replacing the target; the source is gone", async () => {
      const d = await open();
      const prefix = space();
      const data = randomBytes(300_000);
      await d.put(`${prefix}from`, data);
      await d.put(`${prefix}to`, Buffer.from("old"));
      await d.move(`${prefix}from`, `${prefix}to`);
      assert.equal(await d.stat(`${prefix}from`), undefined);
      assert.ok((await d.getSmall(`${prefix}to`))!.equals(data));
    });

    it("concurrent commits of the same content to one key leave that content", async () => {
      const d = await open();
      const prefix = space();
      const data = randomBytes(partSize + 1234);
      const target = `${prefix}blobs/data`;
      await Promise.all(
        [0, 1, 2].map(async (i) => {
          const upload = `${prefix}uploads/${i}`;
          const w = await d.writer(upload);
          await w.write(split(data, 50_000));
          await w.commit();
          await d.move(upload, target);
        }),
      );
      assert.ok((await collect((await d.get(target))!)).equals(data));
      assert.deepEqual(await keysOf(d, `${prefix}uploads/`), []);
    });

    it("check() passes on a usable backend", async () => {
      await (await open()).check();
    });
  });
}

export async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

export async function* chunks(...parts: Buffer[]): Chunks {
  yield* parts;
}

/** `data` in pieces of `size` bytes, as a socket delivers a body. */
export async function* split(data: Buffer, size: number): Chunks {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

export async function keysOf(d: StorageDriver, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of d.list(prefix)) keys.push(o.key);
  return keys;
}

export async function inBatches<T>(items: readonly T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
