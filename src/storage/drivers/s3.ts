// The storage driver on S3-compatible object storage (AWS S3, Ceph RADOS Gateway, MinIO). Keys
// live under `rootdirectory/`; uploads are multipart uploads (s3-writer.ts), large moves are
// parallel UploadPartCopy, deletes are batched, and `url` presigns a GET for redirects.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Config } from "../../config/config.js";
import type { Readable } from "node:stream";
import type { ByteRange, ObjectBody, ObjectInfo, ObjectWriter, StorageDriver, WriterOptions } from "../driver.js";
import { assertKey, assertPrefix } from "../keys.js";
import { createClient, isNotFound, readInto, S3StorageError, storageError, type S3Options } from "./s3-client.js";
import { copySource, S3Writer } from "./s3-writer.js";
import { plainGet } from "./plain-get.js";

export { S3StorageError, type S3Options } from "./s3-client.js";

/** The driver's options from `storage.s3` and `storage.redirect` (validated by config.ts). */
export function s3Options(config: Config): S3Options {
  const s3 = config.storage.s3!;
  return {
    region: s3.region,
    endpoint: s3.regionendpoint,
    bucket: s3.bucket!,
    forcePathStyle: s3.forcepathstyle,
    accessKey: s3.accesskey,
    secretKey: s3.secretkey,
    rootDirectory: s3.rootdirectory,
    chunkSize: s3.chunksize,
    multipartCopyThreshold: s3.multipartcopythresholdsize,
    multipartCopyChunkSize: s3.multipartcopychunksize,
    multipartCopyMaxConcurrency: s3.multipartcopymaxconcurrency,
    redirect: !config.storage.redirect.disable,
  };
}

/** Where writers keep the bytes of a part not yet full; never listed as objects. */
const WRITERS = ".writers/";

export class S3Driver implements StorageDriver {
  readonly name = "s3";
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #root: string;
  /** reads go through plainGet: the endpoint speaks plain HTTP (an in-cluster gateway) */
  readonly #plainHttp: boolean;

  constructor(private readonly options: S3Options) {
    this.#client = createClient(options);
    this.#bucket = options.bucket;
    const root = options.rootDirectory.replace(/^\/+|\/+$/g, "");
    this.#root = root ? `${root}/` : "";
    this.#plainHttp = options.endpoint?.startsWith("http:") ?? false;
  }

  async check(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (err) {
      const failure = storageError("check", this.#bucket, err);
      const where = `S3 bucket "${this.#bucket}" at ${this.options.endpoint ?? `AWS region ${this.options.region}`}`;
      const key = this.options.accessKey ? `access key ${this.options.accessKey}` : "the AWS default credentials";
      let why: string;
      if (failure.status === 403 || failure.status === 401) why = `refused ${key} (wrong access key or secret key, or no permission on the bucket)`;
      else if (failure.code === "ENOENT") why = "does not exist (create it first)";
      else if (failure.code === "STORAGE_UNAVAILABLE") why = `is unreachable: ${failure.message}`;
      else why = `is not usable with ${key}: ${failure.message}`;
      throw new S3StorageError(`${where} ${why}`, failure.code, failure.status);
    }
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }));
      return { key, size: head.ContentLength ?? 0, modified: head.LastModified?.getTime() ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw storageError("stat", key, err);
    }
  }

  async get(key: string, range?: ByteRange): Promise<ObjectBody | undefined> {
    if (range && (range.start < 0 || range.end < range.start)) throw new RangeError(`invalid byte range ${range.start}-${range.end}`);
    if (this.#plainHttp) {
      const body = await this.#plainGet(key, range);
      if (body) return body;
    }
    let got;
    try {
      got = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if ((err as { name?: string }).name === "InvalidRange") throw new RangeError(`${key}: range ${range?.start}-${range?.end} is past the end`);
      throw storageError("get", key, err);
    }
    const body = got.Body as Readable;
    if (range) checkRange(key, range, got.ContentRange, body);
    return body;
  }

  /**
   * The object through plainGet (an endpoint on plain HTTP): undefined for anything but the bytes
   * (a missing key, an error, a dropped connection), which the SDK then asks again and explains.
   */
  async #plainGet(key: string, range?: ByteRange): Promise<ObjectBody | undefined> {
    const url = await getSignedUrl(this.#client, new GetObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }), { expiresIn: 300 });
    const headers: Record<string, string> = range ? { Range: `bytes=${range.start}-${range.end}` } : {};
    const timeouts = { connectTimeout: this.options.connectTimeout ?? 5_000, idleTimeout: this.options.idleTimeout ?? 60_000 };
    const response = await plainGet(new URL(url), headers, timeouts).catch(() => undefined);
    if (!response?.body) return undefined;
    if (range) checkRange(key, range, response.headers.get("content-range"), response.body);
    return response.body;
  }

  async getSmall(key: string): Promise<Buffer | undefined> {
    try {
      const got = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }));
      const data = Buffer.allocUnsafe(got.ContentLength ?? 0);
      await readInto(got.Body as Readable, data, 0, data.length);
      return data;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw storageError("get", key, err);
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.#call("put", key, () =>
      this.#client.send(new PutObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key), Body: data, ContentLength: data.byteLength })),
    );
  }

  writer(key: string, options: WriterOptions = {}): Promise<ObjectWriter> {
    const objectKey = this.#objectKey(key);
    return S3Writer.open(
      { client: this.#client, bucket: this.#bucket, objectKey, segmentPrefix: `${this.#root}${WRITERS}${key}/`, chunkSize: this.options.chunkSize, key },
      options.at ?? 0,
      options.state,
    );
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.#objectKey(from);
    const target = this.#objectKey(to);
    const head = await this.stat(from);
    if (!head) throw new S3StorageError(`s3 move ${from}: no such object`, "ENOENT", 404);
    if (head.size < this.options.multipartCopyThreshold) {
      await this.#call("move", from, () => this.#client.send(new CopyObjectCommand({ Bucket: this.#bucket, Key: target, CopySource: copySource(this.#bucket, source) })));
    } else {
      await this.#copyInParts(source, target, head.size, from);
    }
    await this.delete([from]);
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const done = await this.#call("delete", batch[0]!, () =>
        this.#client.send(
          new DeleteObjectsCommand({ Bucket: this.#bucket, Delete: { Objects: batch.map((k) => ({ Key: this.#objectKey(k) })), Quiet: true } }),
        ),
      );
      const failed = (done.Errors ?? []).filter((e) => e.Code !== "NoSuchKey");
      if (failed.length > 0) {
        const first = failed[0]!;
        throw new S3StorageError(`s3 delete: ${failed.length} of ${batch.length} objects not deleted (${first.Key?.slice(this.#root.length)}: ${first.Code})`, first.Code ?? "EIO");
      }
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertPrefix(prefix);
    const full = this.#root + prefix;
    const internal = this.#root + WRITERS;
    let token: string | undefined;
    do {
      const page = await this.#call("list", prefix, () =>
        this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: full, ContinuationToken: token })),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key.startsWith(internal)) continue;
        yield { key: o.Key.slice(this.#root.length), size: o.Size ?? 0, modified: o.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async url(key: string, expiresInSeconds: number): Promise<string | undefined> {
    if (!this.options.redirect) return undefined;
    return getSignedUrl(this.#client, new GetObjectCommand({ Bucket: this.#bucket, Key: this.#objectKey(key) }), { expiresIn: expiresInSeconds });
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.#client.destroy();
  }

  /** A copy of `size` bytes in parallel UploadPartCopy ranges (objects may be many GiB). */
  async #copyInParts(source: string, target: string, size: number, key: string): Promise<void> {
    const { multipartCopyChunkSize: chunk, multipartCopyMaxConcurrency: concurrency } = this.options;
    const created = await this.#call("move", key, () => this.#client.send(new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: target })));
    const uploadId = created.UploadId!;
    const count = Math.ceil(size / chunk);
    const etags: string[] = new Array(count);
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (next < count && !failed) {
        const i = next++;
        const first = i * chunk;
        const last = Math.min(size, first + chunk) - 1;
        const part = await this.#call("move", key, () =>
          this.#client.send(
            new UploadPartCopyCommand({
              Bucket: this.#bucket,
              Key: target,
              UploadId: uploadId,
              PartNumber: i + 1,
              CopySource: copySource(this.#bucket, source),
              CopySourceRange: `bytes=${first}-${last}`,
            }),
          ),
        );
        etags[i] = part.CopyPartResult?.ETag ?? "";
      }
    };
    try {
      await Promise.all(
        Array.from({ length: Math.min(concurrency, count) }, () =>
          worker().catch((err: unknown) => {
            failed = true;
            throw err;
          }),
        ),
      );
      await this.#call("move", key, () =>
        this.#client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.#bucket,
            Key: target,
            UploadId: uploadId,
            MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
          }),
        ),
      );
    } catch (err) {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: target, UploadId: uploadId })).catch(() => {});
      throw err;
    }
  }

  /** The object key of a storage key; keys never start with a dot, so never meet `.writers/`. */
  #objectKey(key: string): string {
    assertKey(key);
    return this.#root + key;
  }

  async #call<T>(op: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw storageError(op, key, err);
    }
  }
}

/** S3 serves what it has of a range that runs past the end; the driver contract says that fails. */
function checkRange(key: string, range: ByteRange, contentRange: string | undefined, body: Readable): void {
  const total = Number(/\/(\d+)$/.exec(contentRange ?? "")?.[1] ?? Number.NaN);
  if (!(range.end < total)) {
    body.destroy();
    throw new RangeError(`${key}: range ${range.start}-${range.end} is past the end (${total} bytes)`);
  }
}
