// One request body read in pieces of exact lengths, as they arrive: the S3 writer cuts a body of
// known length into parts and a last segment and streams each straight to the gateway.
import type { Chunks } from "../driver.js";

export class ChunkReader {
  readonly #chunks: AsyncIterator<Uint8Array>;
  /** the rest of a chunk a previous `take` split */
  #held: Uint8Array | undefined;

  constructor(chunks: Chunks) {
    this.#chunks = chunks[Symbol.asyncIterator]();
  }

  /** The next `n` bytes as they arrive; fails if the body ends sooner. */
  async *take(n: number): AsyncGenerator<Uint8Array> {
    let need = n;
    while (need > 0) {
      let chunk = this.#held;
      this.#held = undefined;
      if (chunk === undefined) {
        const next = await this.#chunks.next();
        if (next.done) throw new BodyLengthError(`the body ended ${need} bytes short of its declared length`);
        chunk = next.value;
      }
      if (chunk.byteLength > need) {
        this.#held = chunk.subarray(need);
        chunk = chunk.subarray(0, need);
      }
      need -= chunk.byteLength;
      if (chunk.byteLength > 0) yield chunk;
    }
  }

  /** Fails unless the body is used up (it declared fewer bytes than it holds). */
  async end(): Promise<void> {
    for (;;) {
      const next = this.#held ? { done: false, value: this.#held } : await this.#chunks.next();
      this.#held = undefined;
      if (next.done) return;
      if (next.value.byteLength > 0) throw new BodyLengthError("the body is longer than its declared length");
    }
  }

  /** Stops reading early (the body's own `return`, which leaves a request body to the HTTP layer). */
  async close(): Promise<void> {
    await this.#chunks.return?.();
  }
}

/** A body whose length is not the one declared for it: the request's fault, not storage's. */
export class BodyLengthError extends Error {
  override name = "BodyLengthError";
}
