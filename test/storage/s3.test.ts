// The S3 driver against a real Ceph RADOS Gateway: the driver contract, then what only S3 has
// (parts, segments, multipart copies, credentials, timeouts, presigned URLs).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Socket } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { after, describe, it, test } from "node:test";
import { HeadObjectCommand, ListPartsCommand } from "@aws-sdk/client-s3";
import { faultOf } from "../../src/registry/errors.js";
import { S3Driver, type S3Options } from "../../src/storage/drivers/s3.js";
import { tcpRelay } from "../helpers/tcp-relay.js";
import { driverSuite } from "./driver-suite.js";
import { chunks, collect, createBucket, driverOptions, gatewayOrSkip, MiB, openUploads, rawClient, rawKeys, removeBucket, split } from "./s3-support.js";

const s3 = await gatewayOrSkip();

if (!s3) {
  test("S3 driver", { skip: "Ceph (radosgw) is not installed and BERTH_TEST_S3_ENDPOINT is not set" }, () => {});
} else {
  const bucket = await createBucket(s3);
  const drivers: S3Driver[] = [];
  const open = (overrides: Partial<S3Options> = {}) => {
    const d = new S3Driver(driverOptions(s3, bucket, overrides));
    drivers.push(d);
    return d;
  };
  const raw = rawClient(s3);
  after(async () => {
    for (const d of drivers) d.close();
    raw.destroy();
    await removeBucket(s3, bucket);
    await s3.stop();
  });

  driverSuite("s3", async () => open(), {
    child: () => ({ module: new URL("./open-s3.js", import.meta.url).href, args: driverOptions(s3, bucket) }),
  });

  describe("S3 driver", () => {
    let n = 0;
    const key = (what: string) => `s3-only/${Date.now().toString(36)}-${n++}/${what}`;

    it("combines many small writes into parts of exactly chunksize, in bounded memory", async () => {
      const d = open();
      const k = key("small-writes");
      const chunkSize = 5 * MiB;
      const total = 64 * MiB + 12_345;
      // Fresh 64 KiB pieces as a socket delivers them, with the heap measured after a full GC:
      // the writer holds about one part (and the SDK keeps a part it just sent reachable for a
      // moment), never the whole upload.
      setFlagsFromString("--expose-gc");
      const gc = runInNewContext("gc") as () => void;
      gc();
      const baseline = process.memoryUsage().arrayBuffers;
      let peak = 0;
      const seed = randomBytes(64 * 1024);
      // The bytes at offset `at` depend only on `at`, so that any request boundaries give the same upload.
      let yielded = 0;
      async function* pieces(from: number, to: number) {
        for (let at = from; at < to; ) {
          if (yielded++ % 32 === 0) {
            gc();
            peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
          }
          const block = Buffer.from(seed);
          block.writeUInt32BE(Math.floor(at / seed.length), 0);
          const piece = block.subarray(at % seed.length, Math.min(seed.length, (at % seed.length) + to - at));
          at += piece.length;
          yield piece;
        }
      }
      let w = await d.writer(k);
      // Several requests, with boundaries that fall inside parts.
      for (const end of [3 * MiB, 11 * MiB + 7, 40 * MiB, total]) {
        const at = w.size;
        await w.write(pieces(at, end));
        assert.equal(w.size, end);
        const state = JSON.parse(w.state) as { p: string[] };
        assert.equal(state.p.length, Math.floor(end / chunkSize), "one part per full chunksize");
        w = await d.writer(k, { at: w.size, state: w.state });
      }
      assert.ok(peak < 5 * chunkSize, `peak memory ${(peak / MiB).toFixed(1)} MiB stays under five parts (the upload: ${total / MiB | 0} MiB)`);
      const { u } = JSON.parse(w.state) as { u: string };
      const sent = await raw.send(new ListPartsCommand({ Bucket: bucket, Key: `berth/${k}`, UploadId: u }));
      assert.deepEqual(
        sent.Parts?.map((p) => p.Size),
        Array(Math.floor(total / chunkSize)).fill(chunkSize),
        "every part sent holds exactly chunksize bytes",
      );
      await w.commit();
      const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: `berth/${k}` }));
      assert.equal(head.ETag?.match(/-(\d+)"$/)?.[1], String(Math.ceil(total / chunkSize)), "the object is made of those parts and the rest");
      const expected = Buffer.concat(await collectAll(pieces(0, total)));
      assert.ok((await collect((await d.get(k))!)).equals(expected));
      assert.deepEqual(await rawKeys(raw, bucket, "berth/.writers/"), [], "no segment is left after commit");
      assert.deepEqual(await openUploads(raw, bucket, `berth/${k}`), [], "no multipart upload is left open");
    });

    it("sends a full part and waits for it before reading more of the request: one part in memory", async () => {
      // Parts go through a relay slowed to 25 MiB/s, so a part is still on its way when a writer
      // that reads on while sending asks for more (the listing below goes to the gateway directly).
      const relay = await tcpRelay(new URL(s3.endpoint), { bytesPerSecond: 25 * MiB });
      after(() => relay.stop());
      const d = open({ endpoint: relay.endpoint });
      const k = key("one-part");
      const chunkSize = 5 * MiB;
      const data = randomBytes(17 * MiB + 3);
      // Bytes the multipart upload holds now, as the gateway lists them.
      const stored = async () => {
        const upload = (await openUploads(raw, bucket, `berth/${k}`))[0];
        if (!upload) return 0;
        const parts = await raw.send(new ListPartsCommand({ Bucket: bucket, Key: `berth/${k}`, UploadId: upload.id }));
        return (parts.Parts ?? []).reduce((sum, p) => sum + (p.Size ?? 0), 0);
      };
      let pulled = 0;
      let ahead = 0;
      async function* pieces() {
        for (let at = 0; at < data.length; at += MiB) {
          ahead = Math.max(ahead, pulled - (await stored()));
          const piece = data.subarray(at, at + MiB);
          pulled += piece.length;
          yield piece;
        }
      }
      const w = await d.writer(k);
      await w.write(pieces());
      assert.ok(ahead <= chunkSize, `the writer read ${(ahead / MiB).toFixed(1)} MiB past what the gateway held (at most one part, ${chunkSize / MiB} MiB)`);
      await w.commit();
      assert.ok((await collect((await d.get(k))!)).equals(data));
    });

    it("streams a body of declared length into parts as it arrives: well under a part in memory", async () => {
      // Parts of 32 MiB: collecting one would hold all of it (and the 16 MiB segment after it).
      // Streamed, about 2 MiB on a quiet machine; on a loaded one, bytes in flight to a slow gateway
      // were seen up to 16.4 MiB (half a part), so the bound is three quarters of one.
      const chunkSize = 32 * MiB;
      const d = open({ chunkSize });
      const k = key("streamed");
      setFlagsFromString("--expose-gc");
      const gc = runInNewContext("gc") as () => void;
      const seed = randomBytes(64 * 1024);
      const whole: Buffer[] = [];
      let peak = 0;
      let baseline = 0;
      // Fresh 64 KiB pieces, as a socket delivers them; the heap's buffers measured after a full GC.
      async function* pieces(length: number) {
        for (let at = 0, i = 0; at < length; i++) {
          if (i % 16 === 0) {
            gc();
            peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
          }
          const piece = Buffer.from(seed.subarray(0, Math.min(seed.length, length - at)));
          piece.writeUInt32BE(i, 0);
          at += piece.length;
          yield piece;
        }
      }
      // Bodies that end inside a part (a segment), then fill it (read back) and go on for parts more.
      let recorded: { at: number; state: string } | undefined;
      for (const length of [3 * MiB + 17, 23 * MiB - 17, 2 * MiB]) {
        const collected = await collectAll(pieces(length));
        whole.push(...collected);
        const w = await d.writer(k, recorded);
        gc();
        baseline = process.memoryUsage().arrayBuffers;
        await w.write(chunks(...collected.map((c) => Buffer.from(c))), undefined, length);
        recorded = { at: w.size, state: w.state };
      }
      peak = 0;
      const w = await d.writer(k, recorded);
      gc();
      baseline = process.memoryUsage().arrayBuffers;
      await w.write(pieces(20 * MiB), undefined, 20 * MiB);
      assert.ok(peak < (chunkSize * 3) / 4, `peak memory ${(peak / MiB).toFixed(2)} MiB while 20 MiB went out (a part: ${chunkSize / MiB} MiB)`);
      whole.push(...(await collectAll(pieces(20 * MiB))));
      const total = 48 * MiB;
      const { u } = JSON.parse(w.state) as { u: string };
      const sent = await raw.send(new ListPartsCommand({ Bucket: bucket, Key: `berth/${k}`, UploadId: u }));
      assert.deepEqual(sent.Parts?.map((p) => p.Size), Array(Math.floor(total / chunkSize)).fill(chunkSize), "parts of exactly chunksize");
      await (await d.writer(k, { at: w.size, state: w.state })).commit();
      assert.ok((await collect((await d.get(k))!)).equals(Buffer.concat(whole)));
      assert.deepEqual(await rawKeys(raw, bucket, "berth/.writers/"), [], "no segment is left after commit");
    });

    it("a body shorter or longer than its declared length fails the write at once; the recorded bytes stay", async () => {
      const d = open();
      const k = key("declared-wrong");
      const a = randomBytes(MiB);
      const first = await d.writer(k);
      await first.write(chunks(a), undefined, a.length);
      const recorded = { at: first.size, state: first.state };
      // Short inside the part being filled, short inside a later part, and long.
      for (const [sent, declared] of [
        [MiB, 2 * MiB],
        [6 * MiB, 12 * MiB],
        [2 * MiB + 1, 2 * MiB],
      ] as const) {
        const started = Date.now();
        await assert.rejects((await d.writer(k, recorded)).write(split(randomBytes(sent), 100_000), undefined, declared), /declared/);
        assert.ok(Date.now() - started < 10_000, "failed without waiting for a timeout");
      }
      const b = randomBytes(5 * MiB);
      const resumed = await d.writer(k, recorded);
      await resumed.write(chunks(b), undefined, b.length);
      await resumed.commit();
      assert.ok((await collect((await d.get(k))!)).equals(Buffer.concat([a, b])));
    });

    it("a writer resumed at the recorded size drops parts and segments a cut-off request wrote past it", async () => {
      const d = open();
      const C = 5 * MiB;
      // Recorded inside the first part, inside a later one, and exactly on a part boundary.
      for (const recorded of [3000, C + 3000, 2 * C]) {
        const k = key(`cut-off-${recorded}`);
        const first = randomBytes(recorded);
        const w1 = await d.writer(k);
        await w1.write(split(first, 100_000));
        const saved = { at: w1.size, state: w1.state };
        // A request that sent more than a part, never acknowledged.
        await (await d.writer(k, saved)).write(split(randomBytes(C + 500), 200_000));
        const w2 = await d.writer(k, saved);
        const rest = randomBytes(C / 2 + 11);
        await w2.write(chunks(rest));
        await w2.commit();
        assert.ok((await collect((await d.get(k))!)).equals(Buffer.concat([first, rest])), `recorded ${recorded}`);
        assert.deepEqual(await openUploads(raw, bucket, `berth/${k}`), [], "the cut-off request's upload is not left open");
      }
    });

    it("uploads of one content larger than a part, committed and moved to one key at once", async () => {
      const d = open();
      const base = key("same-content");
      const data = randomBytes(5 * MiB + 1234);
      await Promise.all(
        [0, 1, 2].map(async (i) => {
          const w = await d.writer(`${base}/upload-${i}`);
          await w.write(split(data, 50_000));
          await w.commit();
          await d.move(`${base}/upload-${i}`, `${base}/blob`);
        }),
      );
      assert.ok((await collect((await d.get(`${base}/blob`))!)).equals(data));
      assert.deepEqual(await rawKeys(raw, bucket, `berth/${base}/`), [`berth/${base}/blob`]);
    });

    it("cancel aborts the multipart upload and removes the segments", async () => {
      const d = open();
      const k = key("cancel");
      const w = await d.writer(k);
      await w.write(chunks(randomBytes(6 * MiB)));
      assert.equal((await openUploads(raw, bucket, `berth/${k}`)).length, 1);
      assert.ok((await rawKeys(raw, bucket, `berth/.writers/${k}/`)).length > 0);
      await w.cancel();
      assert.deepEqual(await openUploads(raw, bucket, `berth/${k}`), []);
      assert.deepEqual(await rawKeys(raw, bucket, `berth/.writers/${k}/`), []);
    });

    it("a writer keeps the upload's part size when chunksize changed meanwhile", async () => {
      const k = key("chunksize-changed");
      const a = randomBytes(7 * MiB);
      const w1 = await open({ chunkSize: 5 * MiB }).writer(k);
      await w1.write(split(a, MiB));
      const b = randomBytes(6 * MiB + 3);
      const w2 = await open({ chunkSize: 6 * MiB }).writer(k, { at: w1.size, state: w1.state });
      await w2.write(split(b, MiB));
      await w2.commit();
      assert.ok((await collect((await open().get(k))!)).equals(Buffer.concat([a, b])));
    });

    it("a writer whose state is lost cannot write, but cancels everything of its key", async () => {
      const d = open();
      const k = key("state-lost");
      const w1 = await d.writer(k);
      await w1.write(split(randomBytes(6 * MiB), MiB));
      for (const state of [undefined, "not json", JSON.stringify({ v: 1 })]) {
        const lost = await d.writer(k, { at: w1.size, state });
        await assert.rejects(lost.write(chunks(Buffer.from("x"))), /state/);
      }
      await (await d.writer(k, { at: w1.size })).cancel();
      assert.deepEqual(await openUploads(raw, bucket, `berth/${k}`), []);
      assert.deepEqual(await rawKeys(raw, bucket, `berth/.writers/${k}/`), []);
    });

    it("segments are never listed as objects", async () => {
      const d = open();
      const k = key("hidden");
      const w = await d.writer(k);
      await w.write(chunks(randomBytes(1000)));
      const all: string[] = [];
      for await (const o of d.list("")) all.push(o.key);
      assert.ok(all.length > 0 && !all.some((listed) => listed.includes(".writers")), "list('') hides writer segments");
      await w.cancel();
    });

    it("moves an object above multipartcopythresholdsize with UploadPartCopy", async () => {
      const d = open({ multipartCopyThreshold: 5 * MiB, multipartCopyChunkSize: 5 * MiB, multipartCopyMaxConcurrency: 2 });
      const from = key("big-from");
      const to = key("big-to");
      const data = randomBytes(12 * MiB + 1);
      const w = await d.writer(from);
      await w.write(split(data, MiB));
      await w.commit();
      await d.move(from, to);
      assert.equal(await d.stat(from), undefined);
      const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: `berth/${to}` }));
      assert.match(head.ETag ?? "", /-3"$/, "the target was assembled from three copied parts");
      assert.ok((await collect((await d.get(to))!)).equals(data));
    });

    it("check() names the endpoint, bucket and access key on a wrong secret, never the secret", async () => {
      const secret = "not-the-secret-" + randomBytes(8).toString("hex");
      const d = open({ secretKey: secret });
      const err = await d.check().then(
        () => assert.fail("check passed with a wrong secret"),
        (e: Error) => e,
      );
      assert.match(err.message, new RegExp(`bucket "${bucket}" at ${s3.endpoint.replace(/[.:/]/g, "\\$&")} refused access key ${s3.accessKey}`));
      assert.ok(!err.message.includes(secret), "the message never holds the secret");
      // Other operations fail as readably, and without the secret or a signature either.
      const put = await d.put(key("denied"), Buffer.from("x")).then(
        () => assert.fail("put passed with a wrong secret"),
        (e: Error) => e,
      );
      assert.match(put.message, /SignatureDoesNotMatch|AccessDenied|403/);
      for (const text of [put.message, JSON.stringify(put), err.message, JSON.stringify(err)]) {
        assert.ok(!text.includes(secret) && !/Signature=|X-Amz-Signature|Credential=/i.test(text), text);
      }
    });

    it("check() says when the bucket does not exist", async () => {
      const d = open({ bucket: "berth-no-such-bucket" });
      await assert.rejects(d.check(), /bucket "berth-no-such-bucket" at \S+ does not exist/);
    });

    it("a stopped endpoint or one that never answers fails fast with STORAGE_UNAVAILABLE", async () => {
      const closed = await closedPort();
      const started = Date.now();
      const refused = open({ endpoint: `http://127.0.0.1:${closed}`, maxAttempts: 2 });
      const err = await refused.stat("x").then(() => assert.fail("stat passed on a closed port"), (e: Error & { code?: string }) => e);
      assert.equal(err.code, "STORAGE_UNAVAILABLE");
      const fault = faultOf(err);
      assert.equal(fault?.status, 503, "clients get 503 and come back");
      assert.equal(fault?.headers?.["Retry-After"], "5");
      await assert.rejects(refused.check(), /unreachable/);
      // A server that accepts connections and never answers: the request timeout ends the wait.
      const sockets: Socket[] = [];
      const silent = createServer((s) => void sockets.push(s));
      await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
      try {
        const port = (silent.address() as { port: number }).port;
        const hung = open({ endpoint: `http://127.0.0.1:${port}`, requestTimeout: 500, idleTimeout: 500, maxAttempts: 1 });
        await assert.rejects(hung.getSmall("x"), (e: Error & { code?: string }) => e.code === "STORAGE_UNAVAILABLE");
      } finally {
        for (const s of sockets) s.destroy();
        silent.close();
      }
      assert.ok(Date.now() - started < 10_000, `gave up after ${Date.now() - started} ms`);
    });

    it("presigns a GET URL that a client can fetch, only with redirects on", async () => {
      const k = key("presigned");
      const data = randomBytes(4096);
      const off = open();
      await off.put(k, data);
      assert.equal(await off.url!(k, 60), undefined, "no URL while storage.redirect.disable is true");
      const on = open({ redirect: true });
      const url = await on.url!(k, 60);
      assert.ok(url?.startsWith(`${s3.endpoint}/${bucket}/berth/${k}?`), url);
      const res = await fetch(url!);
      assert.equal(res.status, 200);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(data));
    });
  });
}


async function collectAll(source: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const all: Buffer[] = [];
  for await (const b of source) all.push(b);
  return all;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}
