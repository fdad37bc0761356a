// A real load balancer in front of several Berth nodes: haproxy in the foreground from a
// generated config on a free loopback port. Every request is balanced on its own (round-robin),
// so the requests of one client, and one upload's PATCHes, land on different nodes.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.js";

export interface LoadBalancer {
  /** host:port, as clients address it */
  host: string;
  url: string;
  /** the generated configuration, for docs and debugging */
  config: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** The header naming the node that answered (the haproxy server name, `node1`...). */
export const SERVED_BY = "x-served-by";

export interface HaproxyOptions {
  /**
   * A new server connection for every request (the default, for tests: no request can ride an
   * earlier one's connection to the same node). Off for benchmarks, where reconnecting per request
   * would measure haproxy's connects rather than the nodes; requests are still balanced one by one.
   */
  connectionPerRequest?: boolean;
}

export function haproxyConfig(port: number, nodes: readonly string[], options: HaproxyOptions = {}): string {
  const perRequest = options.connectionPerRequest ?? true;
  return [
    "global",
    "  maxconn 2000",
    "defaults",
    "  mode http",
    // Registry bodies are streamed both ways (haproxy never buffers a whole body): only idle
    // sides are cut, and generously, since a large layer can take minutes.
    "  timeout connect 2s",
    "  timeout client 10m",
    "  timeout server 10m",
    "  timeout http-request 60s",
    ...(perRequest ? ["  option http-server-close", "  http-reuse never"] : ["  http-reuse always"]),
    // A request that could not reach a node (refused, reset before any answer) goes to another.
    "  retries 2",
    "  option redispatch 1",
    "  retry-on conn-failure empty-response",
    "frontend registry",
    `  bind 127.0.0.1:${port}`,
    "  option forwardfor",
    // Odd request lines (a raw `#` in the path) reach Berth, which answers them itself; haproxy's
    // own 400 to such a HEAD carries a body, which HTTP clients reject.
    "  option accept-invalid-http-request",
    "  http-request set-header X-Forwarded-Proto http",
    "  default_backend nodes",
    "backend nodes",
    "  balance roundrobin",
    // A dead node leaves the rotation within about a second; /v2/ answers 200 or 401 when alive.
    "  option httpchk GET /v2/",
    "  http-check expect rstatus ^(200|401)$",
    `  http-response set-header ${SERVED_BY} %s`,
    ...nodes.map((node, i) => `  server node${i + 1} ${node} check inter 300ms fall 2 rise 2`),
    "",
  ].join("\n");
}

/** Starts haproxy in front of `nodes` (host:port each); resolves once it accepts connections. */
export async function startHaproxy(nodes: readonly string[], options: HaproxyOptions = {}): Promise<LoadBalancer> {
  const dir = await mkdtemp(join(tmpdir(), "berth-haproxy-"));
  const port = await freePort();
  const config = haproxyConfig(port, nodes, options);
  const file = join(dir, "haproxy.cfg");
  await writeFile(file, config);
  // -db: foreground, no daemon; -W is not needed for one process.
  const child = spawn("haproxy", ["-f", file, "-db"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`haproxy did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const host = `127.0.0.1:${port}`;
  return { host, url: `http://${host}`, config, process: child, output: () => output, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

