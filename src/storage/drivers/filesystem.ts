// Blobs on a local filesystem: `<root>/blobs/<alg>/<first two hex>/<hex>`, uploads in
// `<root>/uploads/<id>`. A blob appears only by rename(2) of a fully written, fsynced upload, so a
// crash leaves either no blob or the whole blob, never half of one.
import { constants } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, truncate, unlink } from "node:fs/promises";
import { join } from "node:path";
import { parseDigest } from "../../content/digest.js";
import type { AppendOptions, BlobBody, BlobStore, ByteRange, Chunks } from "../blobstore.js";
import { assertUploadId } from "../upload-id.js";
import { DIRECT_BUFFER, openDirect } from "./direct-io.js";
import { FileRange } from "./file-range.js";
import { appendToFile, type DirectIoSwitch } from "./upload-writer.js";

export interface FilesystemOptions {
  /** write large uploads and read them back with O_DIRECT where the filesystem allows (direct-io.ts) */
  directIo?: boolean;
}

export class FilesystemBlobStore implements BlobStore {
  private readonly blobsDir: string;
  private readonly uploadsDir: string;
  private readonly directIo: DirectIoSwitch;

  constructor(
    readonly root: string,
    options: FilesystemOptions = {},
  ) {
    this.blobsDir = join(root, "blobs");
    this.uploadsDir = join(root, "uploads");
    this.directIo = { enabled: options.directIo ?? true };
  }

  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    await mkdir(this.uploadsDir, { recursive: true });
  }

  private blobPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.blobsDir, algorithm, hex.slice(0, 2), hex);
  }

  private uploadPath(id: string): string {
    assertUploadId(id);
    return join(this.uploadsDir, id);
  }

  async stat(digest: string): Promise<number | undefined> {
    return sizeOf(this.blobPath(digest));
  }

  async read(digest: string, range?: ByteRange): Promise<BlobBody | undefined> {
    const path = this.blobPath(digest);
    // Open first so that a missing blob is an answer, not a stream error.
    let handle;
    try {
      handle = await open(path, "r");
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    if (range) return new FileRange(handle, range.start, range.end);
    try {
      return new FileRange(handle, 0, (await handle.stat()).size - 1);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async readSmall(digest: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.blobPath(digest));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(digest: string): Promise<boolean> {
    try {
      await unlink(this.blobPath(digest));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async *list(): AsyncIterable<string> {
    for (const algorithm of await listDir(this.blobsDir)) {
      for (const prefix of await listDir(join(this.blobsDir, algorithm))) {
        for (const hex of await listDir(join(this.blobsDir, algorithm, prefix))) yield `${algorithm}:${hex}`;
      }
    }
  }

  async uploadSize(id: string): Promise<number> {
    return (await sizeOf(this.uploadPath(id))) ?? 0;
  }

  async append(id: string, chunks: Chunks, options: AppendOptions = {}): Promise<number> {
    return appendToFile(this.uploadPath(id), chunks, options, this.directIo);
  }

  async truncateUpload(id: string, size: number): Promise<void> {
    try {
      await truncate(this.uploadPath(id), size);
    } catch (err) {
      // Never written: it holds nothing, which is as short as it gets.
      if (!isNotFound(err)) throw err;
    }
  }

  async readUpload(id: string, range?: ByteRange): Promise<Chunks> {
    const path = this.uploadPath(id);
    let handle;
    let direct = false;
    try {
      // Bytes read back to be hashed are read once: large stretches skip the page cache, as they
      // were written (direct-io.ts).
      if (this.directIo.enabled && (!range || range.end - range.start >= DIRECT_BUFFER)) {
        handle = await openDirect(path, constants.O_RDONLY);
        if (handle) direct = true;
        else this.directIo.enabled = false;
      }
      handle ??= await open(path, "r");
    } catch (err) {
      if (isNotFound(err) && !range) return noChunks();
      throw err;
    }
    try {
      return new FileRange(handle, range?.start ?? 0, range?.end ?? (await handle.stat()).size - 1, direct).chunks();
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async commit(id: string, digest: string, options: { synced?: boolean } = {}): Promise<void> {
    const source = this.uploadPath(id);
    const target = this.blobPath(digest);
    if (!options.synced) {
      // O_CREAT: an upload nothing was written to is an empty blob.
      const handle = await open(source, constants.O_RDWR | constants.O_CREAT);
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    // Over an existing blob too: its bytes are the same (same digest), and a rename is cheaper
    // than asking first.
    try {
      await rename(source, target);
    } catch (err) {
      // The first blob of its prefix directory: create the directory, then move.
      if (!isNotFound(err)) throw err;
      await mkdir(join(target, ".."), { recursive: true });
      await rename(source, target);
    }
  }

  async deleteUpload(id: string): Promise<void> {
    await rm(this.uploadPath(id), { force: true });
  }
}

async function* noChunks(): Chunks {}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "ENOENT";
}
