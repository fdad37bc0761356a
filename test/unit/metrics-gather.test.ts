// `/metrics` for the whole machine (src/server/metrics-gather.ts), between real processes: this
// process is the parent of the serving processes, the children are forked fixtures.
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, it } from "node:test";
import { ServerMetrics } from "../../src/server/metrics.js";
import { gatherFromWorkers, machineMetrics, answerGather } from "../../src/server/metrics-gather.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/metrics-process.js", import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

async function serving(pulls: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = fork(FIXTURE, [], { env: { ...process.env, METRICS_PULLS: String(pulls), ...env } });
  children.push(child);
  await nextMessage(child, "ready");
  return child;
}

function nextMessage(child: ChildProcess, type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (message: Record<string, unknown>) => {
      if (message?.type !== type) return;
      child.off("message", on);
      resolve(message);
    };
    child.on("message", on);
  });
}

async function scrape(child: ChildProcess, timeoutMs: number): Promise<string> {
  const reply = nextMessage(child, "scraped");
  child.send({ type: "scrape", timeoutMs });
  return (await reply).text as string;
}

/** The value of one sample line, e.g. `berth_pulls_total{repository="r"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("gathering metrics from the serving processes", () => {
  it("the parent sums what every serving process counted", async () => {
    const all = [await serving(1), await serving(2), await serving(3)];
    const text = await gatherFromWorkers(all, 2_000);
    assert.equal(sample(text, 'berth_pulls_total{repository="r"}'), 6);
    assert.equal(sample(text, 'berth_metrics_processes{state="answered"}'), 3);
    assert.equal(sample(text, 'berth_metrics_processes{state="missing"}'), 0);
    assert.match(text, /^process_cpu_user_seconds_total \d/m, "process metrics are there");
    assert.doesNotMatch(text, /did not answer/);
  });

  it("a process that does not answer in time is left out, and the answer says so", async () => {
    const all = [await serving(1), await serving(5, { METRICS_SILENT: "1" })];
    const started = Date.now();
    const text = await gatherFromWorkers(all, 300);
    assert.ok(Date.now() - started < 2_000, "answered once the time was up");
    assert.equal(sample(text, 'berth_pulls_total{repository="r"}'), 1);
    assert.equal(sample(text, 'berth_metrics_processes{state="missing"}'), 1);
    assert.match(text, /^# berth: 1 of 2 serving processes did not answer within 300 ms; their metrics are missing$/m);
  });

  it("a process that exits while asked counts as missing at once", async () => {
    const silent = await serving(5, { METRICS_SILENT: "1" });
    const asked = gatherFromWorkers([await serving(1), silent], 30_000);
    setTimeout(() => silent.kill("SIGKILL"), 100);
    const started = Date.now();
    const text = await asked;
    assert.ok(Date.now() - started < 5_000, "not after the time limit");
    assert.equal(sample(text, 'berth_metrics_processes{state="missing"}'), 1);
  });

  it("a scrape that lands on any serving process is answered for the whole machine", async () => {
    const all = [await serving(2), await serving(3)];
    const answer = answerGather(() => gatherFromWorkers(all, 2_000));
    for (const child of all) child.on("message", (message) => answer(message, child));
    for (const child of all) {
      const text = await scrape(child, 2_000);
      assert.equal(sample(text, 'berth_pulls_total{repository="r"}'), 5);
      assert.equal(sample(text, 'berth_metrics_processes{state="answered"}'), 2);
    }
  });

  it("a serving process whose parent does not answer gives its own metrics, saying so", async () => {
    const child = await serving(2);
    const text = await scrape(child, 300);
    assert.equal(sample(text, 'berth_pulls_total{repository="r"}'), 2);
    assert.match(text, /^# berth: the parent process did not answer within 300 ms; these are one serving process's metrics only$/m);
  });

  it("a process alone answers with its own metrics", async () => {
    const own = new ServerMetrics({ repositories: 10 });
    own.pulled("r");
    const text = await machineMetrics({ kind: "alone" }, () => own.json())();
    assert.equal(sample(text, 'berth_pulls_total{repository="r"}'), 1);
    assert.doesNotMatch(text, /^# berth:/m);
  });
});
