// The machine's bounds: what one core hashes, what the disk writes durably, what loopback carries.
import { createHash, randomFillSync } from "node:crypto";
import { rmSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { curlDownload } from "./tools.js";
import { runOk } from "./proc.js";

export const MiB = 1024 * 1024;

export interface Bounds {
  /** MiB/s of node:crypto SHA-256 on one core */
  sha256: number;
  /** MiB/s of dd ... conv=fsync into the data directories' filesystem (through the page cache) */
  diskWrite: number;
  /** the same with oflag=direct (past the page cache); undefined where the filesystem refuses it */
  diskWriteDirect: number | undefined;
  /** MiB/s of a curl download from a trivial local server (bytes from memory) */
  loopback: number;
}

/** node:crypto SHA-256 over `bytes` of random data in 1 MiB updates (the size of a large read). */
export function sha256Speed(bytes: number): number {
  const buf = randomFillSync(Buffer.alloc(16 * MiB));
  const hash = createHash("sha256");
  hash.update(buf.subarray(0, MiB)); // warm-up
  const started = performance.now();
  for (let done = 0; done < bytes; done += MiB) hash.update(buf.subarray(done % buf.byteLength, (done % buf.byteLength) + MiB));
  hash.digest();
  return bytes / MiB / ((performance.now() - started) / 1000);
}

/**
 * `dd if=/dev/zero of=<dir>/dd.tmp bs=16M count=N conv=fsync`: durable sequential write, through
 * the page cache or, with `direct`, past it (oflag=direct).
 */
export async function diskWriteSpeed(dir: string, bytes: number, direct = false): Promise<number> {
  const file = join(dir, "dd.tmp");
  try {
    await runOk("sync", []);
    const count = Math.max(1, Math.round(bytes / (16 * MiB)));
    const r = await runOk("dd", ["if=/dev/zero", `of=${file}`, "bs=16M", `count=${count}`, "conv=fsync", ...(direct ? ["oflag=direct"] : [])]);
    // "1073741824 bytes (1.1 GB, 1.0 GiB) copied, 1.23 s, 873 MB/s"
    const m = /(\d+) bytes .* copied, ([\d.]+) s/.exec(r.stderr);
    if (!m) throw new Error(`cannot parse dd output: ${r.stderr}`);
    return Number(m[1]) / MiB / Number(m[2]);
  } finally {
    rmSync(file, { force: true });
  }
}

/** curl downloading `bytes` from an in-process server that writes one 1 MiB buffer repeatedly. */
export async function loopbackSpeed(bytes: number): Promise<number> {
  const chunk = randomFillSync(Buffer.alloc(MiB));
  const server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Length": bytes });
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += MiB;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as { port: number }).port;
    const r = await curlDownload(`http://127.0.0.1:${port}/`);
    if (r.status !== 200 || r.bytes !== bytes) throw new Error(`loopback download: status ${r.status}, ${r.bytes} bytes`);
    return bytes / MiB / r.time;
  } finally {
    server.closeAllConnections();
    server.close();
  }
}
