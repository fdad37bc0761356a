// An upload on S3, written across requests: a multipart upload whose parts are exactly
// `chunkSize` bytes, plus the bytes of the part not yet full, kept as small "segment" objects.
//
// Every `write` ends with its leftover bytes (those past the last full part) stored as one new
// segment, so every acknowledged byte is in object storage and any process can continue. Segments
// are never rewritten (each has a name of its own), so a writer resumed at the recorded size
// never meets bytes that a cut-off request wrote past it. When the current part fills, its earlier
// segments are read back (at most one part) and sent with the new bytes as one part; the segments
// are deleted by the next writer (which knows the part was recorded) or at commit.
//
// A body of declared length (`write`'s `length`) is never held: each part is streamed to
// UploadPart as it arrives (after the part's earlier segments, read back), and the bytes past the
// last full part go straight into their segment's PutObject; the commit streams the last part the
// same way. Memory per upload is then a few socket buffers, and receiving overlaps sending.
// A body of unknown length is collected instead: about one part (`chunkSize`) in memory, a full
// part sent before more bytes are read, so the request's own backpressure holds the client.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { Chunks, ObjectWriter } from "../driver.js";
import { ChunkReader } from "./chunk-reader.js";
import { MAX_PARTS, MIN_PART_SIZE, S3StorageError, isNotFound, readInto, storageError } from "./s3-client.js";

export interface WriterPlace {
  client: S3Client;
  bucket: string;
  /** the object the upload becomes */
  objectKey: string;
  /** where its segments live: `<root>.writers/<key>/` */
  segmentPrefix: string;
  chunkSize: number;
  /** the key as the registry knows it, for errors */
  key: string;
}

/** What a later writer needs; JSON, saved by the registry with the upload. */
interface SavedState {
  v: 1;
  /** the part size this upload is cut at */
  c: number;
  /** bytes the state describes */
  n: number;
  /** multipart upload id, once a part was sent */
  u?: string;
  /** ETags of the full parts, part 1 first */
  p: string[];
  /** segments of the part being filled, in order: `<offset>.<tag>` */
  s: string[];
  /** segments no longer needed once this state is recorded */
  d: string[];
}

interface Segment {
  name: string;
  start: number;
}

export class S3Writer implements ObjectWriter {
  #size: number;
  #uploadId: string | undefined;
  readonly #parts: string[];
  /** start of the part being filled */
  #partStart: number;
  /** segments of the part being filled whose bytes are not in memory: [partStart, memStart) */
  #stored: Segment[];
  /** segments this writer stored whose bytes are also in memory */
  #own: Segment[] = [];
  /** bytes [memStart, size) */
  #mem: Buffer[] = [];
  #memStart: number;
  /** bytes below this are in object storage (parts sent, or segments) */
  #durableEnd: number;
  /** segments the recorded state no longer needs: deleted with the next write */
  #deletable: string[];
  /** segments this writer made obsolete by sending their part */
  #obsolete: string[] = [];
  #closed = false;
  readonly #tag = randomBytes(6).toString("hex");

  private constructor(
    private readonly place: WriterPlace,
    saved: SavedState | undefined,
    at: number,
    /** why this writer can only cancel (its state was missing or unusable) */
    private readonly unusable?: Error,
  ) {
    this.#size = at;
    this.#uploadId = saved?.u;
    const full = Math.floor(at / place.chunkSize);
    this.#parts = saved ? saved.p.slice(0, full) : [];
    this.#partStart = full * place.chunkSize;
    this.#stored = saved ? saved.s.map((name) => ({ name, start: segmentOffset(name) })).filter((s) => s.start < at) : [];
    this.#memStart = at;
    this.#durableEnd = at;
    this.#deletable = saved?.d ?? [];
  }

  /** Opens a writer at `at` bytes (see WriterOptions). */
  static async open(place: WriterPlace, at = 0, state?: string): Promise<S3Writer> {
    if (!Number.isSafeInteger(at) || at < 0) throw new RangeError(`writer offset ${at} is not a byte count`);
    let saved: SavedState | undefined;
    try {
      saved = state ? parseState(state, place.key) : undefined;
    } catch (err) {
      // Without a usable state the bytes cannot be continued, but they can still be cancelled.
      if (at > 0) return new S3Writer(place, undefined, at, err as Error);
    }
    if (at === 0) {
      if (saved?.u) await abortUpload(place, saved.u).catch(() => {});
      return new S3Writer(place, undefined, 0);
    }
    if (!saved) {
      return new S3Writer(place, undefined, at, new S3StorageError(`s3 writer ${place.key}: continuing at ${at} needs the previous writer's state`, "EINVAL"));
    }
    // Parts are cut at the chunk size the upload started with, whatever the configuration says now.
    const chunkSize = saved.c;
    const full = Math.floor(at / chunkSize);
    const partStart = full * chunkSize;
    const firstSegment = saved.s.length > 0 ? segmentOffset(saved.s[0]!) : undefined;
    // The bytes [partStart, at) must still be in segments: a part already sent cannot be read back.
    const resumable =
      at <= saved.n && saved.p.length >= full && (at === partStart || (saved.p.length === full && firstSegment === partStart));
    if (!resumable) {
      const why = new S3StorageError(`s3 writer ${place.key}: cannot continue at ${at} from a state of ${saved.n} bytes in ${saved.p.length} parts`, "EINVAL");
      return new S3Writer(place, undefined, at, why);
    }
    return new S3Writer({ ...place, chunkSize }, saved, at);
  }

  get size(): number {
    return this.#size;
  }

  get state(): string {
    const saved: SavedState = {
      v: 1,
      c: this.place.chunkSize,
      n: this.#size,
      u: this.#uploadId,
      p: this.#parts,
      s: [...this.#stored, ...this.#own].map((s) => s.name),
      d: [...this.#deletable, ...this.#obsolete],
    };
    return JSON.stringify(saved);
  }

  async write(chunks: Chunks, _durable?: (size: number) => void, length?: number): Promise<number> {
    this.#assertOpen();
    return length === undefined ? this.#writeCollected(chunks) : this.#writeStreamed(chunks, length);
  }

  /** A body of unknown length: collected into parts in memory (see the top of the file). */
  async #writeCollected(chunks: Chunks): Promise<number> {
    const { chunkSize } = this.place;
    for await (const chunk of chunks) {
      if (chunk.byteLength === 0) continue;
      this.#mem.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.#size += chunk.byteLength;
      while (this.#size - this.#partStart >= chunkSize) await this.#sendFullPart();
    }
    const start = Math.max(this.#durableEnd, this.#memStart);
    const pending: Promise<unknown>[] = [];
    if (this.#size > start) {
      const segment = { name: `${start}.${this.#tag}`, start };
      const body = this.#memFrom(start);
      pending.push(this.#call("put segment", () => this.place.client.send(new PutObjectCommand({ Bucket: this.place.bucket, Key: this.#segmentKey(segment.name), Body: body, ContentLength: body.length }))));
      this.#own.push(segment);
    }
    if (this.#deletable.length > 0) {
      // The state this writer was opened with is recorded, so what it marked obsolete can go.
      pending.push(this.#deleteSegments(this.#deletable).catch(() => {}));
    }
    await Promise.all(pending);
    this.#deletable = [];
    this.#durableEnd = this.#size;
    return this.#size;
  }

  /** A body of `length` bytes: each part and the last segment streamed as the bytes arrive. */
  async #writeStreamed(chunks: Chunks, length: number): Promise<number> {
    const { client, bucket, chunkSize } = this.place;
    const body = new ChunkReader(chunks);
    // Bytes an earlier write of this writer holds in memory are in its segments too: read back from there.
    this.#stored.push(...this.#own);
    this.#own = [];
    this.#mem = [];
    this.#memStart = this.#size;
    // The state this writer was opened with is recorded, so what it marked obsolete can go.
    const deleted = this.#deleteSegments(this.#deletable).catch(() => {});
    try {
      let left = length;
      while (this.#size + left - this.#partStart >= chunkSize) {
        const taken = this.#partStart + chunkSize - this.#size;
        await this.#streamPart(this.#parts.length + 1, chunkSize, body);
        left -= taken;
      }
      if (left > 0) {
        const start = this.#size;
        const name = `${start}.${this.#tag}`;
        await this.#sendStreamed("put segment", left, body.take(left), (Body, abortSignal) =>
          client.send(new PutObjectCommand({ Bucket: bucket, Key: this.#segmentKey(name), Body, ContentLength: left }), { abortSignal }),
        );
        await body.end();
        this.#stored.push({ name, start });
        this.#size += left;
        this.#memStart = this.#size;
      } else {
        await body.end();
      }
    } finally {
      await body.close();
    }
    await deleted;
    this.#deletable = [];
    this.#durableEnd = this.#size;
    return this.#size;
  }

  async commit(): Promise<void> {
    this.#assertOpen();
    const { client, bucket, objectKey } = this.place;
    if (this.#uploadId === undefined) {
      // Everything fits in one part: one PUT, or a server-side copy of a single segment.
      if (this.#mem.length === 0 && this.#stored.length === 1 && this.#memStart === this.#size) {
        const source = copySource(bucket, this.#segmentKey(this.#stored[0]!.name));
        await this.#call("commit", () => client.send(new CopyObjectCommand({ Bucket: bucket, Key: objectKey, CopySource: source })));
      } else {
        const length = this.#size - this.#partStart;
        await this.#sendStreamed("commit", length, this.#partBytes(length), (Body, abortSignal) =>
          client.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body, ContentLength: length }), { abortSignal }),
        );
      }
    } else if (this.#size === 0) {
      await abortUpload(this.place, this.#uploadId).catch(() => {});
      await this.#call("commit", () => client.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: Buffer.alloc(0), ContentLength: 0 })));
    } else {
      const last = this.#size - this.#partStart;
      const kept = this.#parts.length;
      const listed = await this.#listParts(this.#uploadId);
      if (listed.some((p) => p.number > kept + (last > 0 ? 1 : 0))) {
        await this.#completeAfterCutOff(this.#uploadId, listed, last);
      } else {
        if (last > 0) await this.#streamPart(kept + 1, last);
        await this.#complete(this.#uploadId, this.#parts);
      }
    }
    this.#closed = true;
    this.#mem = [];
    // Leftovers cost space, not correctness: a failed clean-up must not fail a stored commit.
    await this.#cleanUp(this.#uploadId).catch(() => {});
  }

  async cancel(): Promise<void> {
    this.#closed = true;
    this.#mem = [];
    if (this.#uploadId) await abortUpload(this.place, this.#uploadId);
    await this.#cleanUp();
  }

  /** Sends bytes [partStart, partStart + chunkSize) as the next part, and waits until it is stored. */
  async #sendFullPart(): Promise<void> {
    const { chunkSize } = this.place;
    const body = await this.#partBody(chunkSize);
    this.#obsolete.push(...this.#stored.map((s) => s.name), ...this.#own.map((s) => s.name));
    this.#stored = [];
    this.#own = [];
    this.#partStart += chunkSize;
    this.#memStart = this.#partStart;
    this.#durableEnd = this.#partStart;
    const number = this.#parts.length + 1;
    this.#parts.push("");
    await this.#sendPart(number, body);
  }

  async #sendPart(number: number, body: Buffer): Promise<void> {
    const uploadId = await this.#openUpload(number);
    const { client, bucket, objectKey } = this.place;
    const sent = await this.#call("upload part", () =>
      client.send(new UploadPartCommand({ Bucket: bucket, Key: objectKey, UploadId: uploadId, PartNumber: number, Body: body, ContentLength: body.length })),
    );
    if (!sent.ETag) throw new S3StorageError(`s3 upload part ${this.place.key}: no ETag for part ${number}`, "EIO");
    this.#parts[number - 1] = sent.ETag;
  }

  /**
   * Streams bytes [partStart, partStart + length) as part `number`: the part's segments read back,
   * the bytes in memory, then the rest from `body`. Once stored, the next part starts after it.
   */
  async #streamPart(number: number, length: number, body?: ChunkReader): Promise<void> {
    const uploadId = await this.#openUpload(number);
    const { client, bucket, objectKey } = this.place;
    const sent = await this.#sendStreamed("upload part", length, this.#partBytes(length, body), (Body, abortSignal) =>
      client.send(new UploadPartCommand({ Bucket: bucket, Key: objectKey, UploadId: uploadId, PartNumber: number, Body, ContentLength: length }), { abortSignal }),
    );
    if (!sent.ETag) throw new S3StorageError(`s3 upload part ${this.place.key}: no ETag for part ${number}`, "EIO");
    this.#parts[number - 1] = sent.ETag;
    this.#obsolete.push(...this.#stored.map((s) => s.name), ...this.#own.map((s) => s.name));
    this.#stored = [];
    this.#own = [];
    this.#partStart += length;
    this.#size = Math.max(this.#size, this.#partStart);
    this.#memStart = this.#partStart;
    this.#durableEnd = this.#partStart;
  }

  /** The multipart upload's id, created with the first part. */
  async #openUpload(number: number): Promise<string> {
    if (number > MAX_PARTS) {
      throw new S3StorageError(`s3 writer ${this.place.key}: more than ${MAX_PARTS} parts; raise storage.s3.chunksize for objects this large`, "EFBIG");
    }
    if (this.#uploadId === undefined) {
      const { client, bucket, objectKey } = this.place;
      const created = await this.#call("create upload", () => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: objectKey })));
      this.#uploadId = created.UploadId!;
    }
    return this.#uploadId;
  }

  /**
   * Bytes [partStart, partStart + length) as they come: the segments not in memory, read back in
   * order, then the bytes in memory (taken out of it), then the rest from `body`.
   */
  async *#partBytes(length: number, body?: ChunkReader): AsyncGenerator<Uint8Array> {
    const end = this.#partStart + length;
    for (const [segment, size] of this.#segmentBounds()) {
      if (size === 0) continue;
      const got = await this.#call("read segment", () =>
        this.place.client.send(new GetObjectCommand({ Bucket: this.place.bucket, Key: this.#segmentKey(segment.name), Range: `bytes=0-${size - 1}` })),
      );
      let read = 0;
      for await (const chunk of got.Body as Readable) {
        read += (chunk as Buffer).byteLength;
        yield chunk as Buffer;
      }
      if (read !== size) throw new S3StorageError(`s3 read segment ${this.place.key}: ${read} of ${size} bytes`, "EIO");
    }
    const inMemory = Math.min(this.#size, end) - this.#memStart;
    if (inMemory > 0) yield* this.#takeMem(inMemory);
    const rest = end - Math.max(this.#size, this.#memStart);
    if (rest > 0) {
      if (!body) throw new S3StorageError(`s3 writer ${this.place.key}: part past the bytes written`, "EINVAL");
      yield* body.take(rest);
    }
  }

  /**
   * Sends `length` bytes as a stream through `send`. A failure of the bytes themselves (the client
   * broke off, a segment could not be read) aborts the request and is the error thrown; a stream
   * is never retried by the SDK (it cannot be replayed), the caller resumes at the recorded size.
   */
  async #sendStreamed<T>(op: string, length: number, bytes: AsyncIterable<Uint8Array>, send: (body: Readable, signal: AbortSignal) => Promise<T>): Promise<T> {
    const abort = new AbortController();
    const what = `s3 ${op} ${this.place.key}`;
    let failure: { err: unknown } | undefined;
    async function* counted() {
      try {
        let sent = 0;
        for await (const chunk of bytes) {
          sent += chunk.byteLength;
          if (sent > length) throw new S3StorageError(`${what}: more than the ${length} bytes declared`, "EINVAL");
          yield chunk;
        }
        if (sent < length) throw new S3StorageError(`${what}: ${sent} of the ${length} bytes declared`, "EINVAL");
      } catch (err) {
        failure = { err };
        abort.abort();
        throw err;
      }
    }
    const body = Readable.from(counted(), { objectMode: false });
    // Its error is `failure`, thrown below; unheard, it would be an uncaught exception.
    body.on("error", () => {});
    try {
      return await this.#call(op, () => send(body, abort.signal));
    } catch (err) {
      throw failure ? failure.err : err;
    } finally {
      body.destroy();
    }
  }

  /** The segments not in memory, each with the number of its bytes the part needs. */
  #segmentBounds(): (readonly [Segment, number])[] {
    return this.#stored.map((s, i) => [s, (this.#stored[i + 1]?.start ?? this.#memStart) - s.start] as const);
  }

  async #complete(uploadId: string, etags: readonly string[]): Promise<void> {
    const { client, bucket, objectKey } = this.place;
    const parts = etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 }));
    await this.#call("commit", () =>
      client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: objectKey, UploadId: uploadId, MultipartUpload: { Parts: parts } })),
    );
  }

  async #listParts(uploadId: string): Promise<{ number: number; etag: string; size: number }[]> {
    const { client, bucket, objectKey } = this.place;
    const parts: { number: number; etag: string; size: number }[] = [];
    let marker: string | undefined;
    do {
      const page = await this.#call("list parts", () => client.send(new ListPartsCommand({ Bucket: bucket, Key: objectKey, UploadId: uploadId, PartNumberMarker: marker })));
      for (const p of page.Parts ?? []) parts.push({ number: p.PartNumber!, etag: p.ETag!, size: p.Size! });
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker);
    return parts.sort((a, b) => a.number - b.number);
  }

  /**
   * The upload holds parts a cut-off request sent past the recorded size. RGW refuses to complete
   * an upload without all of its parts, so it is completed whole, and the recorded parts are then
   * copied (server-side) into a fresh upload that ends with `last`. Rare: only resumed uploads.
   */
  async #completeAfterCutOff(uploadId: string, listed: { number: number; etag: string; size: number }[], last: number): Promise<void> {
    const { client, bucket, objectKey } = this.place;
    await this.#call("commit", () =>
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: objectKey,
          UploadId: uploadId,
          MultipartUpload: { Parts: listed.map((p) => ({ ETag: p.etag, PartNumber: p.number })) },
        }),
      ),
    );
    const fresh = await this.#call("commit", () => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: objectKey })));
    this.#uploadId = fresh.UploadId!;
    const kept = this.#parts.length;
    const etags: string[] = [];
    let offset = 0;
    for (const p of listed.slice(0, kept)) {
      const range = `bytes=${offset}-${offset + p.size - 1}`;
      offset += p.size;
      const copied = await this.#call("commit", () =>
        client.send(
          new UploadPartCopyCommand({ Bucket: bucket, Key: objectKey, UploadId: fresh.UploadId, PartNumber: p.number, CopySource: copySource(bucket, objectKey), CopySourceRange: range }),
        ),
      );
      etags.push(copied.CopyPartResult?.ETag ?? "");
    }
    this.#parts.splice(0, kept, ...etags);
    if (last > 0) await this.#streamPart(kept + 1, last);
    await this.#complete(this.#uploadId, this.#parts);
  }

  /** Removes `n` bytes from the front of memory. */
  #takeMem(n: number): Buffer[] {
    const taken: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const head = this.#mem[0]!;
      if (head.length <= need) {
        taken.push(head);
        this.#mem.shift();
        need -= head.length;
      } else {
        taken.push(head.subarray(0, need));
        this.#mem[0] = head.subarray(need);
        need = 0;
      }
    }
    return taken;
  }

  /** A copy of the bytes [from, size) held in memory. */
  #memFrom(from: number): Buffer {
    let skip = from - this.#memStart;
    const pieces: Buffer[] = [];
    for (const piece of this.#mem) {
      if (skip >= piece.length) {
        skip -= piece.length;
        continue;
      }
      pieces.push(skip > 0 ? piece.subarray(skip) : piece);
      skip = 0;
    }
    return Buffer.concat(pieces);
  }

  /**
   * Bytes [partStart, partStart + length) in one buffer: those only in segments read back, then
   * those in memory (taken out of it).
   */
  async #partBody(length: number): Promise<Buffer> {
    const body = Buffer.allocUnsafe(length);
    await Promise.all(
      this.#segmentBounds().map(async ([segment, size]) => {
        if (size === 0) return;
        const got = await this.#call("read segment", () =>
          this.place.client.send(new GetObjectCommand({ Bucket: this.place.bucket, Key: this.#segmentKey(segment.name), Range: `bytes=0-${size - 1}` })),
        );
        await this.#call("read segment", () => readInto(got.Body as Readable, body, segment.start - this.#partStart, size));
      }),
    );
    let at = this.#memStart - this.#partStart;
    for (const piece of this.#takeMem(length - at)) {
      body.set(piece, at);
      at += piece.length;
    }
    return body;
  }

  async #deleteSegments(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    const objects = names.map((name) => ({ Key: this.#segmentKey(name) }));
    for (let i = 0; i < objects.length; i += 1000) {
      const batch = objects.slice(i, i + 1000);
      await this.#call("delete segments", () => this.place.client.send(new DeleteObjectsCommand({ Bucket: this.place.bucket, Delete: { Objects: batch, Quiet: true } })));
    }
  }

  /**
   * Deletes every segment of this key and aborts every multipart upload of it but `keep`: also
   * those a cut-off request left behind, which no recorded state names. Both in parallel.
   */
  async #cleanUp(keep?: string): Promise<void> {
    const { client, bucket, segmentPrefix, objectKey } = this.place;
    const segments = async () => {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await this.#call("list segments", () => client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: segmentPrefix, ContinuationToken: token })));
        for (const o of page.Contents ?? []) if (o.Key) names.push(o.Key.slice(segmentPrefix.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      await this.#deleteSegments(names);
    };
    const uploads = async () => {
      const open = await this.#call("list uploads", () => client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: objectKey })));
      for (const u of open.Uploads ?? []) {
        if (u.Key === objectKey && u.UploadId && u.UploadId !== keep) await abortUpload(this.place, u.UploadId);
      }
    };
    await Promise.all([segments(), uploads()]);
  }

  #segmentKey(name: string): string {
    return this.place.segmentPrefix + name;
  }

  #assertOpen(): void {
    if (this.unusable) throw this.unusable;
    if (this.#closed) throw new S3StorageError(`s3 writer ${this.place.key}: already committed or cancelled`, "EINVAL");
  }

  async #call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw storageError(op, this.place.key, err);
    }
  }
}

async function abortUpload(place: WriterPlace, uploadId: string): Promise<void> {
  try {
    await place.client.send(new AbortMultipartUploadCommand({ Bucket: place.bucket, Key: place.objectKey, UploadId: uploadId }));
  } catch (err) {
    if (!isNotFound(err)) throw storageError("abort upload", place.key, err);
  }
}

export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
}

function segmentOffset(name: string): number {
  return Number(name.slice(0, name.indexOf(".")));
}

function parseState(text: string, key: string): SavedState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const s = value as Partial<SavedState> | undefined;
  const strings = (a: unknown) => Array.isArray(a) && a.every((x) => typeof x === "string");
  const valid =
    s?.v === 1 &&
    Number.isSafeInteger(s.c) &&
    (s.c ?? 0) >= MIN_PART_SIZE &&
    Number.isSafeInteger(s.n) &&
    (s.u === undefined || typeof s.u === "string") &&
    strings(s.p) &&
    strings(s.s) &&
    strings(s.d) &&
    (s.s ?? []).every((n) => /^\d+\.[0-9a-f]+$/.test(n));
  if (!valid) throw new S3StorageError(`s3 writer ${key}: the saved writer state is not one this driver wrote`, "EINVAL");
  return s as SavedState;
}
