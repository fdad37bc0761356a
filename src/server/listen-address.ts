// The listening address of `berth serve`, claimed by the supervisor before anything else happens,
// so that a port clash is reported before a database or an operator is created.
import { lookup } from "node:dns/promises";
import * as net from "node:net";
import { getSystemErrorName } from "node:util";

/** A start-up failure an operator can act on; printed as one line, without a stack. */
export class ListenError extends Error {}

/**
 * A socket bound to the address, not accepting: the serving processes listen on it (each gets it
 * over its IPC channel). Node offers no public way to hold a bound socket without accepting on it;
 * `net._createServerHandle` is what its own `cluster` module uses for exactly this.
 */
export interface BoundAddress {
  handle: object;
  /** host:port as bound (the port chosen by the system when 0 was asked) */
  address: string;
  close(): void;
}

type RawHandle = { close(): void; getsockname(out: Record<string, unknown>): number };
type CreateHandle = (address: string, port: number, family: number) => RawHandle | number;

export async function bindAddress(addr: string): Promise<BoundAddress> {
  const [host, port] = splitHostPort(addr);
  let ip = host;
  if (net.isIP(host) === 0) {
    try {
      ip = (await lookup(host)).address;
    } catch {
      throw new ListenError(`cannot listen on ${addr}: no such host "${host}"; choose another with --addr or REGISTRY_HTTP_ADDR`);
    }
  }
  // The raw bind below defers "in use" to the first listen (libuv does), so a real listen checks
  // first; it also learns the port when 0 was asked.
  const probe = net.createServer();
  const chosen = await new Promise<number>((resolve, reject) => {
    probe.once("error", (err) => reject(describeListenError(err, addr)));
    probe.listen(port, ip, () => resolve((probe.address() as net.AddressInfo).port));
  });
  await new Promise((resolve) => probe.close(resolve));
  const create = (net as unknown as { _createServerHandle: CreateHandle })._createServerHandle;
  const handle = create(ip, chosen, net.isIP(ip));
  if (typeof handle === "number") throw describeListenError(Object.assign(new Error("bind failed"), { code: getSystemErrorName(handle) }), addr);
  const family = net.isIP(ip) === 6;
  return {
    handle,
    address: `${family ? `[${ip}]` : ip}:${chosen}`,
    close: () => handle.close(),
  };
}

/** A listen failure as one line that names the port and what to do. */
export function describeListenError(err: unknown, addr: string): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  const [, port] = splitHostPort(addr);
  const choose = "choose another with --addr or REGISTRY_HTTP_ADDR";
  if (code === "EADDRINUSE") return new ListenError(`port ${port} is in use; ${choose}`);
  if (code === "EACCES") return new ListenError(`port ${port} needs privileges this user does not have; ${choose}`);
  if (code === "EADDRNOTAVAIL") return new ListenError(`cannot listen on ${addr}: not an address of this machine; ${choose}`);
  return new ListenError(`cannot listen on ${addr}: ${(err as Error)?.message ?? String(err)}`);
}

export function splitHostPort(addr: string): [string, number] {
  const colon = addr.lastIndexOf(":");
  const host = addr.slice(0, colon).replace(/^\[|\]$/g, "");
  return [host === "" ? "0.0.0.0" : host, Number(addr.slice(colon + 1))];
}
