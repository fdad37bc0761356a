// Helpers for the server tests: a raw HTTP/1.1 exchange over a socket (to see exactly what the
// server answers and whether it closes), and the serving processes of a running `berth serve`.
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { connect } from "node:net";

export interface RawAnswer {
  status: number;
  /** header names lowercased */
  headers: Record<string, string>;
  body: string;
  /** the server closed the connection after answering */
  closed: boolean;
}

export interface RawExchange {
  /** request line and headers, without the blank line that ends them */
  head: string;
  /** sent after the head, with Content-Length unless `chunked` */
  body?: Buffer;
  chunked?: boolean;
  /** stop sending after this many body bytes (and keep the connection open) */
  stallAfter?: number;
  /** how long to wait for the answer and the close */
  timeoutMs?: number;
}

/** Sends one request on a fresh connection and reads what comes back until the server closes. */
export function rawExchange(hostPort: string, request: RawExchange): Promise<RawAnswer> {
  const [host, port] = [hostPort.slice(0, hostPort.lastIndexOf(":")), Number(hostPort.slice(hostPort.lastIndexOf(":") + 1))];
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const received: Buffer[] = [];
    let closed = false;
    const timer = setTimeout(() => finish(), request.timeoutMs ?? 10_000);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return reject(new Error(`no HTTP answer (closed: ${closed}): ${JSON.stringify(text.slice(0, 200))}`));
      const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) headers[line.slice(0, line.indexOf(":")).toLowerCase()] = line.slice(line.indexOf(":") + 1).trim();
      resolve({ status: Number(statusLine!.split(" ")[1]), headers, body: text.slice(end + 4), closed });
    };
    socket.on("data", (d: Buffer) => received.push(d));
    socket.on("error", () => undefined); // a reset after the answer is judged by what was read
    socket.on("end", () => {
      closed = true;
      finish();
    });
    socket.on("close", () => {
      closed = true;
      finish();
    });
    const body = request.body ?? Buffer.alloc(0);
    const framing = request.chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${body.length}`;
    socket.write(`${request.head}\r\n${framing}\r\n\r\n`);
    const sent = request.stallAfter === undefined ? body : body.subarray(0, request.stallAfter);
    if (!request.chunked) socket.write(sent);
    else {
      for (let at = 0; at < sent.length; at += 64 * 1024) {
        const piece = sent.subarray(at, at + 64 * 1024);
        socket.write(`${piece.length.toString(16)}\r\n`);
        socket.write(piece);
        socket.write("\r\n");
      }
      if (request.stallAfter === undefined) socket.write("0\r\n\r\n");
    }
  });
}

/** Pids of the processes `pid` started (the serving processes of a supervisor). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number).sort();
  } catch {
    return [];
  }
}

/** Polls `condition` every 20 ms until it holds or `ms` pass; returns whether it held. */
export async function eventually(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return condition();
}

/** Pids of the processes whose environment mentions `text` (workers get their configuration there). */
export async function processesWithEnvironment(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = await readFile(`/proc/${entry}/environ`, "utf8").catch(() => "");
    if (environ.includes(text)) found.push(Number(entry));
  }
  return found;
}
