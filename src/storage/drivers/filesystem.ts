// Objects as files under a root directory: key `a/b/c` is the file `<root>/a/b/c`. An object
// written whole appears by rename(2) of a fsynced scratch file beside it, an object written in
// pieces (an upload) is the file itself, and `move` is rename(2): a crash leaves the old file or
// the new one, never half of one. Large writes go past the page cache (upload-writer.ts,
// direct-io.ts); reads through it, in reused buffers (file-range.ts).
import { randomUUID } from "node:crypto";
import { constants, type Dirent } from "node:fs";
import { access, mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ByteRange, Chunks, ObjectBody, ObjectInfo, ObjectWriter, StorageDriver, WriterOptions } from "../driver.js";
import { assertKey, assertPrefix, byteOrder } from "../keys.js";
import { FileRange } from "./file-range.js";
import { unlinkAll, type UnlinkThreads } from "./unlink-batch.js";
import { appendToFile, cutTo, type DirectIoSwitch } from "./upload-writer.js";

/**
 * `delete`'s unlinks by default, in a process that serves nothing (`berth gc --offline`); the
 * threads take the niceness of the thread that asks (the CLI's `--nice`).
 */
export const UNLINKS_ALONE: UnlinkThreads = { threads: 16, nice: 0 };
/**
 * In a serving process: few threads, lowered. Each unlink also costs the disk work it waits for,
 * which niceness does not reach, so the count is what bounds a collection's share (bench row
 * G-online).
 */
export const UNLINKS_BESIDE_REQUESTS: UnlinkThreads = { threads: 3, nice: 10 };

export interface FilesystemOptions {
  /** write large bodies with O_DIRECT where the filesystem allows (direct-io.ts) */
  directIo?: boolean;
  /** the threads of `delete`'s unlinks (default UNLINKS_ALONE) */
  unlinks?: UnlinkThreads;
}

export class FilesystemDriver implements StorageDriver {
  readonly name = "filesystem";
  private readonly directIo: DirectIoSwitch;
  private readonly unlinks: UnlinkThreads;

  constructor(
    readonly root: string,
    options: FilesystemOptions = {},
  ) {
    this.directIo = { enabled: options.directIo ?? true };
    this.unlinks = options.unlinks ?? UNLINKS_ALONE;
  }

  /** Creates the root; the registry's `blobs/` and `uploads/` too, so a new data directory shows its layout. */
  async init(): Promise<void> {
    for (const dir of ["blobs", "uploads"]) await mkdir(join(this.root, dir), { recursive: true });
  }

  async check(): Promise<void> {
    try {
      await access(this.root, constants.R_OK | constants.W_OK);
    } catch (err) {
      throw new Error(`storage.filesystem.rootdirectory ${this.root} is not a writable directory: ${(err as Error).message}`);
    }
  }

  private path(key: string): string {
    assertKey(key);
    return join(this.root, key);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? { key, size: s.size, modified: s.mtimeMs } : undefined;
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<ObjectBody | undefined> {
    // Open first so that a missing object is an answer, not a stream error.
    let handle: FileHandle;
    try {
      handle = await open(this.path(key), "r");
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw err;
    }
    try {
      const { size } = await handle.stat();
      if (!range) return new FileRange(handle, 0, size - 1);
      if (range.start > range.end || range.end >= size) throw new RangeError(`range ${range.start}-${range.end} of ${key} past its ${size} bytes`);
      return new FileRange(handle, range.start, range.end);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async getSmall(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw err;
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const target = this.path(key);
    // A dot-name beside the target: same filesystem for the rename, never a key (keys.ts).
    const scratch = join(dirname(target), `.put-${randomUUID()}`);
    const handle = await inDirectory(scratch, () => open(scratch, "wx"));
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await rm(scratch, { force: true });
      throw err;
    }
    await handle.close();
    await rename(scratch, target);
  }

  async writer(key: string, options: WriterOptions = {}): Promise<ObjectWriter> {
    return new FileWriter(this.path(key), options.at ?? 0, this.directIo);
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.path(from);
    const target = this.path(to);
    try {
      await rename(source, target);
    } catch (err) {
      // The first object of its directory (a blob's prefix directory): create it, then move.
      if (!isAbsent(err)) throw err;
      await mkdir(dirname(target), { recursive: true });
      await rename(source, target);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    await unlinkAll(keys.map((k) => this.path(k)), this.unlinks);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertPrefix(prefix);
    const slash = prefix.lastIndexOf("/");
    yield* this.walk(slash < 0 ? "" : prefix.slice(0, slash), prefix);
  }

  /**
   * The files under directory `dirKey` whose keys start with `prefix`, in byte order of their
   * keys: a directory sorts as its name followed by `/`, where every key below it continues.
   */
  private async *walk(dirKey: string, prefix: string): AsyncIterable<ObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.root, dirKey), { withFileTypes: true });
    } catch (err) {
      if (isAbsent(err)) return;
      throw err;
    }
    const named = entries
      .filter((e) => !e.name.startsWith(".") && (e.isFile() || e.isDirectory()))
      .map((e) => ({ key: dirKey === "" ? e.name : `${dirKey}/${e.name}`, dir: e.isDirectory() }))
      .sort((a, b) => byteOrder(a.dir ? `${a.key}/` : a.key, b.dir ? `${b.key}/` : b.key));
    for (const { key, dir } of named) {
      if (dir) {
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(key, prefix);
      } else if (key.startsWith(prefix)) {
        const info = await this.stat(key);
        if (info) yield info;
      }
    }
  }
}

/**
 * A file written across requests. Nothing is opened until the first write (a writer only
 * cancelled, as the upload purger does, costs one unlink); each `write` opens the file, cuts it
 * to where this writer continues and closes it at the end, since nothing says when a request is
 * done with its writer. The bytes of a `write` are in the file when it resolves, for every
 * process of the machine; `commit` makes them durable.
 */
class FileWriter implements ObjectWriter {
  readonly state = "";

  constructor(
    private readonly path: string,
    private at: number,
    private readonly direct: DirectIoSwitch,
  ) {}

  get size(): number {
    return this.at;
  }

  async write(chunks: Chunks, durable?: (size: number) => void): Promise<number> {
    const handle = await inDirectory(this.path, () => open(this.path, constants.O_RDWR | constants.O_CREAT));
    this.at = await appendToFile(this.path, handle, this.at, chunks, this.direct, durable);
    return this.at;
  }

  async commit(): Promise<void> {
    // O_CREAT: an object nothing was written to is an empty one.
    const handle = await inDirectory(this.path, () => open(this.path, constants.O_RDWR | constants.O_CREAT));
    try {
      await cutTo(handle, this.at, this.path);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async cancel(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

/** Runs `create` (which makes a file at `path`), creating the file's directory when it is missing. */
async function inDirectory<T>(path: string, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    await mkdir(dirname(path), { recursive: true });
    return create();
  }
}

/** ENOENT, or ENOTDIR (a key below what is a file): the object is not there. */
function isAbsent(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}
