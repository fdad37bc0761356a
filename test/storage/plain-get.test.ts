import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough, Writable } from "node:stream";
import { after, before, test } from "node:test";
import { plainGet } from "../../src/storage/drivers/plain-get.js";

const data = randomBytes(9 * 1024 * 1024 + 12345);
const options = { connectTimeout: 5_000, idleTimeout: 5_000 };
let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    if (req.url === "/missing") {
      res.writeHead(404, { "Content-Length": 9 }).end("NoSuchKey");
      return;
    }
    const range = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? "");
    const body = range ? data.subarray(Number(range[1]), Number(range[2]) + 1) : data;
    res.writeHead(range ? 206 : 200, { "Content-Length": body.length });
    if (req.url === "/truncated") {
      res.write(body.subarray(0, 3 * 1024 * 1024), () => res.destroy());
      return;
    }
    // In pieces, so reads and writes interleave as they do from an object store.
    let at = 0;
    const next = () => {
      while (at < body.length) if (!res.write(body.subarray(at, (at += 200_000)))) return void res.once("drain", next);
      res.end();
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

test("copyTo writes every byte, in order, into a slow writable", async () => {
  const response = await plainGet(new URL(`${base}/blob`), {}, options);
  assert.equal(response.status, 200);
  const hash = createHash("sha256");
  let size = 0;
  const slow = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      setImmediate(done);
    },
  });
  await response.body!.copyTo(slow);
  assert.equal(size, data.length);
  assert.equal(hash.digest("hex"), sha(data));
});

test("read as a stream it yields copies a consumer may keep", async () => {
  const response = await plainGet(new URL(`${base}/blob`), {}, options);
  const kept: Buffer[] = [];
  for await (const chunk of response.body!) kept.push(chunk as Buffer);
  assert.equal(sha(Buffer.concat(kept)), sha(data));
});

test("a range comes back as 206 with exactly its bytes", async () => {
  const response = await plainGet(new URL(`${base}/blob`), { Range: "bytes=1000-2000999" }, options);
  assert.equal(response.status, 206);
  const kept: Buffer[] = [];
  for await (const chunk of response.body!) kept.push(chunk as Buffer);
  assert.ok(Buffer.concat(kept).equals(data.subarray(1000, 2_001_000)));
});

test("anything but the bytes comes back without a body, for the caller to ask again", async () => {
  const response = await plainGet(new URL(`${base}/missing`), {}, options);
  assert.equal(response.status, 404);
  assert.equal(response.body, undefined);
});

test("a connection dropped mid-body fails the copy", async () => {
  const response = await plainGet(new URL(`${base}/truncated`), {}, options);
  await assert.rejects(response.body!.copyTo(new PassThrough().resume()), /closed the connection \d+ bytes early/);
});

test("a destination that closes first fails the copy and lets go of the connection", async () => {
  const response = await plainGet(new URL(`${base}/blob`), {}, options);
  let written = 0;
  const dest = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.length;
      if (written > 2 * 1024 * 1024) dest.destroy();
      done();
    },
  });
  await assert.rejects(response.body!.copyTo(dest), { code: "ERR_STREAM_PREMATURE_CLOSE" });
});

test("an address nobody listens on fails the request", async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  await assert.rejects(plainGet(new URL(`http://127.0.0.1:${port}/`), {}, options), { code: "ECONNREFUSED" });
});
