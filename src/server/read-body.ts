// Reads a small request body whole (a token form, an admin API document, a manifest), refusing more
// than a limit. Refusing never destroys the request: destroying it would destroy its socket under
// the response that explains the refusal. The HTTP layer answers, then discards what the client
// still sends and closes the connection (early-close.ts).
import type { IncomingMessage } from "node:http";
import { RegistryError } from "../registry/errors.js";

/** The refusal of a body over `limit` bytes: 413 with the OCI error envelope. */
export function bodyTooLarge(limit: number): RegistryError {
  return new RegistryError("SIZE_INVALID", `request body larger than ${limit} bytes`, { limit }, 413);
}

/**
 * The whole body, or a rejection: `bodyTooLarge(limit)` as soon as the declared length or the bytes
 * received pass `limit`; the request's own error when the client goes away first.
 */
export function readBounded(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) return Promise.reject(bodyTooLarge(limit));
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const finish = (err?: Error) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", finish);
      req.off("close", onClose);
      if (err) reject(err);
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > limit) finish(bodyTooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onClose = () => {
      if (!req.complete) finish(Object.assign(new Error("the client closed the connection mid-body"), { code: "ECONNRESET" }));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", finish);
    req.on("close", onClose);
  });
}
