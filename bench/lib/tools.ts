// The neutral client tools: curl for large bodies, wrk for GET rates, ApacheBench (ab) for HEAD
// rates (wrk 4.1 waits for a body after a HEAD reply that has a Content-Length).
import { BenchError } from "./client.js";
import { run, runOk } from "./proc.js";

export interface CurlReply {
  status: number;
  headers: Record<string, string>;
  /** curl's own time_total, seconds */
  time: number;
  bytes: number;
  /** CPU of the curl process, seconds */
  cpu: number;
  wall: number;
}

/** Sends a file as the request body (streamed by curl, never read whole into memory). */
export async function curlUpload(method: string, url: string, file: string, headers: Record<string, string> = {}): Promise<CurlReply> {
  const args = ["-sS", "--max-time", "900", "-X", method, "-T", file, "-H", "Expect:", "-H", "Content-Type: application/octet-stream"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  args.push("-D", "-", "-o", "/dev/null", "-w", "\n@@ %{http_code} %{time_total} %{size_upload}", url);
  return curl(args, `${method} ${url}`);
}

/** Downloads to /dev/null. */
export async function curlDownload(url: string): Promise<CurlReply> {
  const args = ["-sS", "--max-time", "900", "-D", "-", "-o", "/dev/null", "-w", "\n@@ %{http_code} %{time_total} %{size_download}", url];
  return curl(args, `GET ${url}`);
}

async function curl(args: string[], what: string): Promise<CurlReply> {
  const r = await run("curl", args);
  if (r.code !== 0) throw new BenchError(`curl ${what} failed (exit ${r.code}): ${r.stderr.trim()}`);
  const at = r.stdout.lastIndexOf("\n@@ ");
  const [status, time, bytes] = r.stdout.slice(at + 4).trim().split(" ");
  // The last header block is the final response (an interim 100 Continue may precede it).
  const blocks = r.stdout.slice(0, at).trim().split(/\r?\n\r?\n/);
  const headers: Record<string, string> = {};
  for (const line of (blocks[blocks.length - 1] ?? "").split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(status), headers, time: Number(time), bytes: Number(bytes), cpu: r.cpu, wall: r.wall };
}

export interface LoadResult {
  tool: string;
  requests: number;
  rps: number;
  /** milliseconds */
  p50: number;
  p99: number;
  /** responses outside 2xx/3xx */
  non2xx: number;
  /** socket errors (wrk) or failed requests (ab) */
  errors: number;
  /** CPU of the load tool, seconds, and its wall time */
  cpu: number;
  wall: number;
}

/** wrk with a fixed connection count; latency percentiles from --latency. */
export async function wrk(url: string, connections: number, seconds: number, headers: Record<string, string> = {}): Promise<LoadResult> {
  const args = ["-t2", `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", "--latency"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  args.push(url);
  const r = await runOk("wrk", args);
  const out = r.stdout;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const pct = (p: string) => duration(new RegExp(`^\\s+${p}%\\s+([\\d.]+\\w+)`, "m").exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  if (!Number.isFinite(requests) || !Number.isFinite(rps)) throw new BenchError(`cannot parse wrk output:\n${out}`);
  return { tool: "wrk", requests, rps, p50: pct("50"), p99: pct("99"), non2xx, errors, cpu: r.cpu, wall: r.wall };
}

/** ApacheBench with keep-alive; `head` sends HEAD (-i). Percentiles are whole milliseconds. */
export async function ab(url: string, connections: number, seconds: number, head: boolean, headers: Record<string, string> = {}): Promise<LoadResult> {
  // -t alone caps the run at 50,000 requests; -n after it lifts the cap. -r: a receive error is
  // counted as a failed request instead of ending the run; -s: a generous stall limit.
  const args = ["-q", "-k", "-r", "-c", String(connections), "-t", String(seconds), "-n", "5000000", "-s", "120"];
  if (head) args.push("-i");
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  args.push(url);
  const r = await runOk("ab", args);
  const out = r.stdout;
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const requests = num(/Complete requests:\s+(\d+)/);
  const rps = num(/Requests per second:\s+([\d.]+)/);
  const keepAlive = num(/Keep-Alive requests:\s+(\d+)/);
  if (!Number.isFinite(requests) || !Number.isFinite(rps)) throw new BenchError(`cannot parse ab output:\n${out}`);
  if (keepAlive < requests - connections) throw new BenchError(`ab: only ${keepAlive} of ${requests} requests used keep-alive`);
  return {
    tool: head ? "ab -i" : "ab",
    requests,
    rps,
    p50: num(/^\s+50%\s+(\d+)/m),
    p99: num(/^\s+99%\s+(\d+)/m),
    non2xx: Number(/Non-2xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
    errors: num(/Failed requests:\s+(\d+)/),
    cpu: r.cpu,
    wall: r.wall,
  };
}

/** wrk's durations ("812.00us", "1.23ms", "2.01s") in milliseconds. */
function duration(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? "");
  if (!m) return NaN;
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as "us" | "ms" | "s" | "m"];
  return Number(m[1]) * scale;
}
