// Objects in process memory: for tests and throwaway instances only (this driver alone holds
// whole objects in memory, by definition). Like object storage, bytes being written by a writer
// are not an object until its commit.
import { Readable } from "node:stream";
import type { ByteRange, Chunks, ObjectBody, ObjectInfo, ObjectWriter, StorageDriver, WriterOptions } from "../driver.js";
import { assertKey, assertPrefix, byteOrder } from "../keys.js";

interface Stored {
  data: Buffer;
  modified: number;
}

export class MemoryDriver implements StorageDriver {
  readonly name = "inmemory";
  private readonly objects = new Map<string, Stored>();
  /** bytes of objects still being written, by key */
  private readonly pending = new Map<string, Buffer[]>();

  async check(): Promise<void> {}

  async stat(key: string): Promise<ObjectInfo | undefined> {
    assertKey(key);
    const o = this.objects.get(key);
    return o && { key, size: o.data.byteLength, modified: o.modified };
  }

  async get(key: string, range?: ByteRange): Promise<ObjectBody | undefined> {
    assertKey(key);
    const o = this.objects.get(key);
    if (!o) return undefined;
    if (!range) return Readable.from([o.data]);
    if (range.start > range.end || range.end >= o.data.byteLength) {
      throw new RangeError(`range ${range.start}-${range.end} of ${key} past its ${o.data.byteLength} bytes`);
    }
    return Readable.from([o.data.subarray(range.start, range.end + 1)]);
  }

  async getSmall(key: string): Promise<Buffer | undefined> {
    assertKey(key);
    return this.objects.get(key)?.data;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    assertKey(key);
    this.objects.set(key, { data: Buffer.from(data), modified: Date.now() });
  }

  async writer(key: string, options: WriterOptions = {}): Promise<ObjectWriter> {
    assertKey(key);
    return new MemoryWriter(this.pending, this.objects, key, options.at ?? 0);
  }

  async move(from: string, to: string): Promise<void> {
    assertKey(from);
    assertKey(to);
    const o = this.objects.get(from);
    if (!o) throw Object.assign(new Error(`no object ${from} to move`), { code: "ENOENT" });
    this.objects.delete(from);
    this.objects.set(to, o);
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) assertKey(key);
    for (const key of keys) this.objects.delete(key);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertPrefix(prefix);
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort(byteOrder);
    for (const key of keys) {
      const o = this.objects.get(key);
      if (o) yield { key, size: o.data.byteLength, modified: o.modified };
    }
  }
}

class MemoryWriter implements ObjectWriter {
  readonly state = "";

  constructor(
    private readonly pending: Map<string, Buffer[]>,
    private readonly objects: Map<string, Stored>,
    private readonly key: string,
    private at: number,
  ) {}

  get size(): number {
    return this.at;
  }

  async write(chunks: Chunks): Promise<number> {
    const parts = this.cut();
    this.pending.set(this.key, parts);
    // A failing source leaves what arrived before it, as the other drivers do.
    for await (const chunk of chunks) {
      parts.push(Buffer.from(chunk));
      this.at += chunk.byteLength;
    }
    return this.at;
  }

  async commit(): Promise<void> {
    this.objects.set(this.key, { data: Buffer.concat(this.cut()), modified: Date.now() });
    this.pending.delete(this.key);
  }

  async cancel(): Promise<void> {
    this.pending.delete(this.key);
  }

  /** The pending parts holding exactly the first `at` bytes; fails when fewer were written. */
  private cut(): Buffer[] {
    const whole = Buffer.concat(this.pending.get(this.key) ?? []);
    if (whole.byteLength < this.at) throw Object.assign(new Error(`${this.key} holds ${whole.byteLength} bytes, expected at least ${this.at}`), { code: "ESHORT" });
    return whole.byteLength === 0 ? [] : [whole.subarray(0, this.at)];
  }
}
