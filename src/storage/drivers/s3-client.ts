// What the S3 driver and its writer share: the client (path style, bounded retries and timeouts,
// keep-alive sockets), the bucket and key prefix, and one translation of S3 failures into errors
// that name the operation and key but never a credential or a signed URL.
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Readable } from "node:stream";
import { S3Client, S3ServiceException } from "@aws-sdk/client-s3";

export interface S3Options {
  region: string;
  /** e.g. `http://127.0.0.1:7480`; absent for AWS itself */
  endpoint?: string;
  bucket: string;
  forcePathStyle: boolean;
  /** absent: the standard AWS credential chain (environment, profile, instance role) */
  accessKey?: string;
  secretKey?: string;
  /** key prefix, e.g. `registry` → `registry/blobs/…` */
  rootDirectory: string;
  /** upload part size, at least 5 MiB */
  chunkSize: number;
  /** objects at least this big are moved with parallel UploadPartCopy */
  multipartCopyThreshold: number;
  multipartCopyChunkSize: number;
  multipartCopyMaxConcurrency: number;
  /** whether `url()` hands out presigned GET URLs (`storage.redirect.disable: false`) */
  redirect: boolean;
  /** ms to establish a connection (default 5 s) */
  connectTimeout?: number;
  /** ms a request may take until its response headers arrive (default 120 s) */
  requestTimeout?: number;
  /** ms a socket may stay silent, also while a body streams (default 60 s) */
  idleTimeout?: number;
  /** attempts per request, the first included (default 3) */
  maxAttempts?: number;
}

export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** Objects S3 refuses to combine: a multipart upload has at most this many parts. */
export const MAX_PARTS = 10_000;

/** A storage fault the registry maps to a client error (`faultOf`): unreachable, or full. */
export class S3StorageError extends Error {
  constructor(
    message: string,
    /** `STORAGE_UNAVAILABLE` (retry later), `EDQUOT` (full), `ENOENT`, or the S3 error code */
    readonly code: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "S3StorageError";
  }
}

const SILENT = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export function createClient(o: S3Options): S3Client {
  // The SDK warns on Node 20 about versions it has not published yet; the lockfile pins this one,
  // and a multi-line warning on stderr would only break the JSON log stream.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const agent = { keepAlive: true, maxSockets: 128, maxFreeSockets: 32 };
  return new S3Client({
    region: o.region,
    endpoint: o.endpoint,
    forcePathStyle: o.forcePathStyle,
    credentials: o.accessKey && o.secretKey ? { accessKeyId: o.accessKey, secretAccessKey: o.secretKey } : undefined,
    // RGW 16 refuses streamed checksummed uploads (411); ETags and TLS already guard the bytes.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // A few quick retries ride out a restarting gateway without hiding a dead one for minutes.
    maxAttempts: o.maxAttempts ?? 3,
    // Without a logger the SDK writes to the console when a streamed request fails (it is never
    // retried); the writer reports that failure itself, and the log stream stays JSON.
    logger: SILENT,
    requestHandler: {
      connectionTimeout: o.connectTimeout ?? 5_000,
      requestTimeout: o.requestTimeout ?? 120_000,
      throwOnRequestTimeout: true,
      socketTimeout: o.idleTimeout ?? 60_000,
      httpAgent: new HttpAgent(agent),
      httpsAgent: new HttpsAgent(agent),
    },
  });
}

const UNAVAILABLE_NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EPIPE"]);
const UNAVAILABLE_S3 = new Set(["SlowDown", "ServiceUnavailable", "RequestTimeout", "InternalError", "TimeoutError", "RequestTimeTooSkewed"]);
const FULL_S3 = new Set(["QuotaExceeded", "EntityTooLarge"]);

/**
 * Reads exactly `length` bytes of `body` into `target` at `offset`. (The SDK's own collectors
 * keep the collected bytes reachable from the pooled socket for a while; this copies once.)
 */
export async function readInto(body: Readable, target: Buffer, offset: number, length: number): Promise<void> {
  let at = offset;
  const end = offset + length;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (at + chunk.length > end) {
      body.destroy();
      throw new S3StorageError(`s3 read: more than the ${length} bytes expected`, "EIO");
    }
    chunk.copy(target, at);
    at += chunk.length;
  }
  if (at !== end) throw new S3StorageError(`s3 read: ${at - offset} bytes, expected ${length}`, "EIO");
}

/** Whether an SDK error means the object (or upload) is absent. */
export function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.name === "NoSuchUpload" || e?.$metadata?.httpStatusCode === 404;
}

/**
 * The error to throw for an SDK failure: a fresh one whose message holds only the operation, the
 * key and S3's error code and text (SDK errors carry request metadata we never want in a log).
 */
export function storageError(op: string, key: string, err: unknown): S3StorageError {
  if (err instanceof S3StorageError) return err;
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  const name = (err instanceof S3ServiceException ? err.name : e?.code ?? e?.name) ?? "Error";
  let code = name;
  if (UNAVAILABLE_NETWORK.has(e?.code ?? "") || UNAVAILABLE_S3.has(name) || (status !== undefined && status >= 500)) code = "STORAGE_UNAVAILABLE";
  else if (FULL_S3.has(name)) code = "EDQUOT";
  else if (isNotFound(err)) code = "ENOENT";
  // HEAD answers have no body, so S3's message is then the bare status; say what it means.
  const text = scrub(e?.message && e.message !== "UnknownError" ? e.message : `HTTP ${status ?? "error"}`);
  return new S3StorageError(`s3 ${op} ${key}: ${name}: ${text}`, code, status);
}

/** Removes anything that looks like a signed query string, in case an error echoes a URL. */
function scrub(text: string): string {
  return text.replace(/([?&](X-Amz-[A-Za-z-]+|Signature|AWSAccessKeyId)=)[^&\s]*/g, "$1…").slice(0, 500);
}
