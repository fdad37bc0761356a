// A blob upload's body as it arrives. Node's HTTP parser hands each socket read over as a fresh
// buffer of up to 64 KiB, allocated outside V8's heap, and V8 lets tens of MiB of them pile up
// before it collects. A young-generation collection after every 4 MiB received (about 0.1 ms)
// frees them sooner. Neither much more nor much less: with 16 or 2 MiB, some 1 GiB pushes fell
// into about 60 full collections per GiB and ran at 55–65% of the speed; with 4 MiB none did,
// and a process's peak RSS in a push is 10–20 MiB lower than with 16.
import type { IncomingMessage } from "node:http";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Chunks } from "../storage/driver.js";

const COLLECT_EVERY = 4 * 1024 * 1024;

type Collector = (options: { type: "minor" }) => void;

/** V8's collector, reached through a fresh context once `--expose-gc` is set; undefined if not. */
const collectYoung = exposeCollector();
let receivedSinceCollection = 0;

export function requestBody(req: IncomingMessage): Chunks {
  // A consumer that stops early (a full disk, a refused chunk) must leave the request alive: its
  // socket carries the answer that says why (the HTTP layer then discards the rest and closes).
  const body = req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
  return collectYoung ? collecting(body, collectYoung) : body;
}

async function* collecting(req: AsyncIterable<Buffer>, collect: Collector): Chunks {
  for await (const chunk of req) {
    // Shared by all uploads in this process: what matters is how much has been received.
    receivedSinceCollection += chunk.byteLength;
    if (receivedSinceCollection >= COLLECT_EVERY) {
      receivedSinceCollection = 0;
      collect({ type: "minor" });
    }
    yield chunk;
  }
}

function exposeCollector(): Collector | undefined {
  const global = globalThis as { gc?: unknown };
  if (typeof global.gc === "function") return global.gc as Collector;
  try {
    // Affects only contexts created from now on: the main one keeps no `gc` global.
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    return typeof gc === "function" ? (gc as Collector) : undefined;
  } catch {
    return undefined;
  }
}

/** For tests: whether bodies are being paced (false where V8 refuses to expose its collector). */
export const pacesCollection = collectYoung !== undefined;
