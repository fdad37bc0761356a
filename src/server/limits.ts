// Limits on what one client may hold of a serving process: how long it may take to send a request
// head (`http.headertimeout`), how long a request body may go without a byte
// (`http.bodytimeout`), and how many connections one address may keep open at once
// (`http.connectionsperaddress`, counted per serving process).
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { writeError } from "../distribution/errors.js";
import { RegistryError } from "../registry/errors.js";

export interface Limits {
  /** ms for a whole request head; 0: none */
  headerTimeout: number;
  /** ms a request body may send nothing; 0: forever */
  bodyTimeout: number;
  /** open connections per client address; 0: any number */
  perAddress: number;
}

interface Watched {
  req: IncomingMessage;
  res: ServerResponse;
}

export class ConnectionLimits {
  private readonly open = new Map<string, number>();
  private readonly over = new WeakSet<Socket>();
  /** sockets whose request body is being received, so their idle timer means "the body stalled" */
  private readonly bodies = new WeakMap<Socket, Watched>();

  constructor(
    readonly limits: Limits,
    private readonly log: Logger,
  ) {}

  /** Applies the limits to `server` (before it listens). */
  attach(server: Server, tls: boolean): void {
    const { headerTimeout, perAddress } = this.limits;
    server.headersTimeout = headerTimeout;
    // Large blobs take as long as they take; only stalled bodies and heads are cut.
    server.requestTimeout = 0;
    if (perAddress > 0) server.on(tls ? "secureConnection" : "connection", (socket: Socket) => this.count(socket));
    // With this listener Node leaves every socket timeout to us (keep-alive ones included).
    server.on("timeout", (socket: Socket) => this.timedOut(socket));
    server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => refuseMalformed(err, socket));
  }

  /** True when `socket` came over its address's limit: its requests are answered 429. */
  isOver(socket: Socket | null): boolean {
    return this.limits.perAddress > 0 && socket !== null && this.over.has(socket);
  }

  /** Arms the body timer for a request that has a body; it stops when the body has arrived. */
  watchBody(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket as Socket | null;
    if (!socket || this.limits.bodyTimeout === 0) return;
    this.bodies.set(socket, { req, res });
    socket.setTimeout(this.limits.bodyTimeout);
    req.once("end", () => {
      if (this.bodies.get(socket)?.req !== req) return;
      this.bodies.delete(socket);
      socket.setTimeout(0);
    });
  }

  private count(socket: Socket): void {
    const address = socket.remoteAddress ?? "";
    const now = (this.open.get(address) ?? 0) + 1;
    this.open.set(address, now);
    if (now > this.limits.perAddress) this.over.add(socket);
    socket.once("close", () => {
      const left = (this.open.get(address) ?? 1) - 1;
      if (left > 0) this.open.set(address, left);
      else this.open.delete(address);
    });
  }

  private timedOut(socket: Socket): void {
    const watched = this.bodies.get(socket);
    this.bodies.delete(socket);
    if (!watched || watched.res.writableFinished) {
      // Node's own use of the timer: an idle keep-alive connection.
      socket.destroy();
      return;
    }
    const { req, res } = watched;
    socket.setTimeout(0);
    // Received whole but not yet read by its handler: the client did its part.
    if (req.complete) return;
    this.log.info({ ms: this.limits.bodyTimeout, method: req.method, path: req.url?.split("?")[0]?.slice(0, 200) }, "request body stalled; closing the connection");
    if (res.headersSent) {
      socket.destroy();
      return;
    }
    const seconds = Math.round(this.limits.bodyTimeout / 100) / 10;
    const error = new RegistryError("UNKNOWN", `the request body sent nothing for ${seconds} s; send it again`, undefined, 408);
    // Node ends a `Connection: close` answer by closing the socket once it is written; the
    // handler still waiting for the body then sees the request aborted.
    res.setHeader("Connection", "close");
    writeError(res, error, req.method === "HEAD");
  }
}

/** Node's own answer to a malformed or too slow request head, as the OCI error envelope. */
function refuseMalformed(err: NodeJS.ErrnoException, socket: Socket): void {
  const busy = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!socket.writable || err.code === "ECONNRESET" || (busy && busy.headersSent)) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    err.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, "Request Timeout", "the request head did not arrive in time"]
      : err.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request Header Fields Too Large", "the request head is too large"]
        : [400, "Bad Request", "malformed HTTP request"];
  const body = JSON.stringify({ errors: [{ code: "UNKNOWN", message }] });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // Closes once the answer is out (net.Socket's own method, untyped in @types/node).
  (socket as Socket & { destroySoon(): void }).destroySoon();
}
