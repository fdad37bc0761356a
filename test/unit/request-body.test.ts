import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { it } from "node:test";
import { pacesCollection, requestBody } from "../../src/distribution/request-body.js";

/** Fresh 64 KiB buffers, as Node's HTTP parser hands a body over; each one dropped once read. */
async function* socketReads(total: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < total / 65536; i++) yield Buffer.alloc(65536, i & 0xff);
}

/** Reads a body to its end; returns the bytes and the peak of buffer memory outside V8's heap. */
async function drain(body: AsyncIterable<Uint8Array>): Promise<{ bytes: number; peak: number; firstBytes: number[] }> {
  let bytes = 0;
  let peak = 0;
  const firstBytes: number[] = [];
  for await (const chunk of body) {
    if (firstBytes.length < 3) firstBytes.push(chunk[0]!);
    bytes += chunk.byteLength;
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }
  return { bytes, peak, firstBytes };
}

it("request bodies: every byte passes, and received buffers are freed as the body flows", async () => {
  assert.ok(pacesCollection, "Node 20 lets the collector be reached");
  const total = 256 * 1024 * 1024;
  const base = process.memoryUsage().arrayBuffers;
  // A readable stream, as a request is (requestBody reads it without destroying it on an early stop).
  const paced = await drain(requestBody(Readable.from(socketReads(total)) as unknown as IncomingMessage));
  assert.equal(paced.bytes, total);
  assert.deepEqual(paced.firstBytes, [0, 1, 2]);
  // Freed every 4 MiB received (6–8 MiB held at most here); left to V8, about 40 MiB.
  const unpaced = await drain(socketReads(total));
  const [held, heldUnpaced] = [paced.peak - base, unpaced.peak - base].map((b) => b / 2 ** 20) as [number, number];
  assert.ok(held < 14, `paced: ${held.toFixed(1)} MiB held at most`);
  assert.ok(heldUnpaced - held > 10, `unpaced: ${heldUnpaced.toFixed(1)} MiB held, paced ${held.toFixed(1)} MiB`);
});
