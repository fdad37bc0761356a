// Helpers for the observability tests: scraping `/metrics`, reading one sample, and finding a
// request's access-log line in a real server's output.
import assert from "node:assert/strict";
import type { RunningRegistry } from "../helpers/registry.js";

export async function scrape(registry: RunningRegistry, authorization?: string): Promise<string> {
  const res = await fetch(`${registry.url}/metrics`, { headers: authorization ? { Authorization: authorization } : {} });
  const text = await res.text();
  assert.equal(res.status, 200, text.slice(0, 500));
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return text;
}

/** The value of one series, e.g. `berth_pulls_total{repository="a/b"}`; undefined when absent. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The access-log line of request `id` (its X-Request-Id), waiting for it up to a few seconds. */
export async function accessLine(registry: RunningRegistry, id: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const line = registry
      .output()
      .split("\n")
      .find((l) => l.includes('"msg":"request"') && l.includes(`"req":"${id}"`));
    if (line) return JSON.parse(line) as Record<string, unknown>;
    assert.ok(Date.now() < deadline, `no access-log line for request ${id}:\n${registry.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls `probe` until it returns true, for at most `ms`. */
export async function eventually(probe: () => Promise<boolean>, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return probe();
}
