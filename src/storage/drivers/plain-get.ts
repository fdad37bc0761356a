// An HTTP/1.1 GET over plain TCP whose body is read into two reused 1 MiB buffers, for the S3
// driver's object reads. Node's HTTP client allocates a fresh buffer for every socket read; for a
// blob streamed from an object store into a client that cost as much CPU as the rest of the GET.
// Only the happy path lives here: anything but a 200/206 with a Content-Length is handed back so
// the caller can ask again through the SDK, which knows S3's errors.
import { connect, type Socket } from "node:net";
import { Readable, type Writable } from "node:stream";
import { BufferPool } from "../buffer-pool.js";

const pool = new BufferPool(1024 * 1024, 8);

/** Response heads larger than this are not an object store's answer to a GET. */
const MAX_HEAD = 64 * 1024;

export interface PlainResponse {
  status: number;
  /** lower-case names */
  headers: Map<string, string>;
  /** the body, when status is 200 or 206 and the length is known; otherwise the connection is closed */
  body?: PlainBody;
}

export interface PlainGetOptions {
  /** ms until the response head arrives, and of silence while the body streams */
  idleTimeout: number;
  connectTimeout: number;
}

/** GETs `url` (http: only) with `headers`; resolves with the response head. */
export function plainGet(url: URL, headers: Record<string, string>, options: PlainGetOptions): Promise<PlainResponse> {
  if (url.protocol !== "http:") throw new Error(`plainGet: ${url.protocol} is not plain HTTP`);
  return new Promise((resolve, reject) => {
    const buffers = [pool.take(), pool.take()] as const;
    let head: Buffer | undefined = Buffer.alloc(0);
    let body: PlainBody | undefined;
    const fail = (err: Error) => {
      socket.destroy();
      if (body) body.fail(err);
      else reject(err);
    };
    const socket: Socket = connect({
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || 80),
      noDelay: true,
      onread: {
        // Called after every read for the buffer of the next one: the body keeps them alternating.
        buffer: () => (body?.filling === 1 ? buffers[1] : buffers[0]),
        callback: (n: number, buffer: Uint8Array) => {
          if (body) return body.arrived(n);
          // Still reading the head: copy it out, the buffer is read into again.
          head = Buffer.concat([head!, buffer.subarray(0, n)]);
          const end = head.indexOf("\r\n\r\n");
          if (end < 0) {
            if (head.length > MAX_HEAD) fail(new Error("response head too large"));
            return true;
          }
          const parsed = parseHead(head.subarray(0, end).toString("latin1"));
          if (!parsed) {
            fail(new Error("malformed HTTP response"));
            return false;
          }
          const length = Number(parsed.headers.get("content-length"));
          if ((parsed.status !== 200 && parsed.status !== 206) || !Number.isSafeInteger(length) || parsed.headers.has("transfer-encoding")) {
            socket.destroy();
            resolve(parsed);
            return false;
          }
          socket.setTimeout(options.idleTimeout);
          // The body's first bytes came with the head, at the end of buffer 0.
          const rest = head.length - (end + 4);
          head = undefined;
          body = new PlainBody(socket, buffers, length, n - rest);
          resolve({ ...parsed, body });
          return body.arrived(n);
        },
      },
    });
    socket.setTimeout(options.connectTimeout);
    socket.on("timeout", () => fail(new Error(body ? "the object store went silent mid-body" : `no answer from ${url.host} within the timeout`)));
    socket.on("error", fail);
    socket.on("close", () => (body ? body.socketClosed() : reject(new Error(`${url.host} closed the connection before answering`))));
    const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, "Connection: close"];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  });
}

function parseHead(text: string): { status: number; headers: Map<string, string> } | undefined {
  const [statusLine, ...lines] = text.split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "");
  if (!status) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(status[1]), headers };
}

/**
 * A response body of known length, read into two buffers in turn: one is read into while the
 * consumer has the other. `copyTo` writes the buffers straight into a writable; read as a stream
 * it pushes copies (stream consumers may keep what they read).
 */
export class PlainBody extends Readable {
  /** the buffer the next socket read goes into */
  filling = 0;
  private remaining: number;
  private readonly busy = [false, false];
  /** bytes read but not yet handed on: [buffer index, chunk] */
  private readonly queue: [number, Buffer][] = [];
  private sink?: { dest: Writable; resolve: () => void; reject: (err: Error) => void };
  private wanting = false;
  private paused = false;
  private done = false;

  constructor(
    private readonly socket: Socket,
    private readonly buffers: readonly [Buffer, Buffer],
    length: number,
    /** where the body starts in the first buffer (after the response head) */
    private skip: number,
  ) {
    super();
    this.remaining = length;
  }

  /** Writes every byte into `dest` (without ending it); resolves once it has taken the last. */
  copyTo(dest: Writable): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.done) return reject(new Error("the body was already read"));
      this.sink = { dest, resolve, reject };
      dest.once("close", this.onDestinationClose);
      this.pump();
    });
  }

  /** The socket read `n` bytes into the filling buffer; returns whether to read on. */
  arrived(n: number): boolean {
    const index = this.filling;
    const chunk = (index === 1 ? this.buffers[1] : this.buffers[0]).subarray(this.skip, n);
    this.skip = 0;
    this.filling ^= 1;
    this.remaining -= chunk.length;
    if (this.remaining < 0) {
      this.fail(new Error("the object store sent more bytes than announced"));
      return false;
    }
    if (chunk.length > 0) {
      this.busy[index] = true;
      this.queue.push([index, chunk]);
    }
    if (this.remaining === 0) this.socket.destroy();
    this.pump();
    if (this.remaining > 0 && this.consuming() && !this.busy[this.filling]) return true;
    this.paused = true;
    return false;
  }

  socketClosed(): void {
    if (this.remaining > 0) this.fail(new Error(`the object store closed the connection ${this.remaining} bytes early`));
  }

  fail(err: Error): void {
    if (this.done) return;
    this.done = true;
    this.socket.destroy();
    this.queue.length = 0;
    const sink = this.sink;
    this.sink = undefined;
    if (sink) {
      sink.dest.off("close", this.onDestinationClose);
      sink.reject(err);
    } else {
      this.destroy(err);
    }
  }

  override _read(): void {
    this.wanting = true;
    this.pump();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.done = true;
    this.socket.destroy();
    this.queue.length = 0;
    callback(err);
  }

  private readonly onDestinationClose = () =>
    this.fail(Object.assign(new Error("the destination closed before the body was written"), { code: "ERR_STREAM_PREMATURE_CLOSE" }));

  private consuming(): boolean {
    return this.sink !== undefined || this.wanting;
  }

  /** Hands queued chunks to the consumer, then reads on if a buffer is free. */
  private pump(): void {
    if (this.done) return;
    if (this.sink) {
      const { dest } = this.sink;
      for (const [index, chunk] of this.queue.splice(0)) {
        dest.write(chunk, (err) => (err ? this.fail(err) : this.release(index)));
      }
    } else if (this.wanting) {
      while (this.queue.length > 0 && this.wanting) {
        const [index, chunk] = this.queue.shift()!;
        this.wanting = this.push(Buffer.from(chunk));
        this.busy[index] = false;
      }
      if (this.remaining === 0 && this.queue.length === 0) {
        this.done = true;
        this.returnBuffers();
        this.push(null);
        return;
      }
    }
    this.readOn();
  }

  private release(index: number): void {
    this.busy[index] = false;
    if (this.remaining === 0 && this.queue.length === 0 && !this.busy[0] && !this.busy[1] && this.sink) {
      const { dest, resolve } = this.sink;
      this.sink = undefined;
      this.done = true;
      dest.off("close", this.onDestinationClose);
      this.returnBuffers();
      resolve();
      return;
    }
    this.readOn();
  }

  private readOn(): void {
    if (this.paused && this.remaining > 0 && this.consuming() && !this.busy[this.filling]) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private returnBuffers(): void {
    for (const b of this.buffers) pool.give(b);
  }
}
