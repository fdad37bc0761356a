// Ending a connection whose request body was not read to its end (refused, timed out, or ignored by
// a handler that failed). Its unread bytes would be parsed as the next request, so the connection
// must close; but closing a socket with unread input makes the kernel answer the client's next bytes
// with a reset, which can erase our response from the client's buffers before it is read (RFC 9112
// §9.6). So: answer with `Connection: close`, then half-close, discard what still comes, and close
// once the client has sent its whole body or stopped, or after LINGER_MS at most.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** Longest time spent discarding a refused body after the answer was sent. */
export const LINGER_MS = 5_000;

const lingering = new WeakSet<Socket>();
const ended = new WeakSet<Socket>();

/**
 * Call before (or after) writing the answer to a request whose body is not complete. The answer
 * says `Connection: close` when its head is not written yet; the socket then lingers as above.
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket as Socket | null;
  if (!socket || socket.destroyed || lingering.has(socket)) return;
  lingering.add(socket);
  if (!res.headersSent) res.setHeader("Connection", "close");
  // Discard the rest of the body instead of leaving it in the kernel's buffers.
  req.resume();
  // Node's server ends a `Connection: close` response with socket.destroySoon(), which destroys the
  // socket as soon as our bytes are out: replaced for this socket by a lingering close.
  (socket as Socket & { destroySoon(): void }).destroySoon = () => linger(socket, req);
  if (res.writableFinished) linger(socket, req);
  else res.once("finish", () => linger(socket, req));
}

function linger(socket: Socket, req: IncomingMessage): void {
  if (socket.destroyed || ended.has(socket)) return;
  ended.add(socket);
  if (socket.writable) socket.end();
  if (req.complete) {
    socket.destroy();
    return;
  }
  const close = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  req.once("end", close);
  socket.once("end", close);
  socket.once("close", () => clearTimeout(timer));
  socket.resume();
}
