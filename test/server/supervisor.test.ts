// `berth serve` as a supervisor: a serving process that dies (any of them, the first one with the
// jobs included) is replaced while the registry keeps answering; a port clash is one readable line
// before anything is created; stopping the supervisor, gently or not, leaves no process behind; the
// operator is told how to get a token on every start until it has logged in.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { BERTH_MAIN, startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { basic } from "../iam/support.js";
import { childrenOf, eventually, processesWithEnvironment } from "./support.js";

const exec = promisify(execFile);

/** GET on a connection of its own: the status, or what went wrong within 10 s. */
function getOnNewConnection(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(`${url}/v2/`, { agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy(new Error("no reply in 10 s")));
    req.on("error", (err) => resolve(err.message));
    req.end();
  });
}

/** Kills `victim` with SIGKILL and keeps asking until the supervisor has a replacement serving. */
async function killAndWatch(registry: RunningRegistry, victim: number, count: number): Promise<(number | string)[]> {
  const restartsBefore = registry.output().split("worker restarted").length;
  process.kill(victim, "SIGKILL");
  const statuses: (number | string)[] = [];
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    statuses.push(await getOnNewConnection(registry.url));
    const now = childrenOf(registry.process.pid!);
    if (now.length === count && !now.includes(victim) && registry.output().split("worker restarted").length > restartsBefore) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(registry.output().split("worker restarted").length > restartsBefore, `no restart:\n${registry.output()}`);
  return statuses;
}

async function waitForWorkers(registry: RunningRegistry): Promise<void> {
  assert.ok(await eventually(() => registry.output().includes("started workers"), 20_000), registry.output());
}

describe("the supervisor", () => {
  it("replaces any serving process killed with SIGKILL while the others answer", async () => {
    const registry = await startRegistry({ env: { BERTH_HTTP_WORKERS: "2" } });
    try {
      await waitForWorkers(registry);
      const [first, second] = childrenOf(registry.process.pid!);
      assert.ok(first && second);
      for (const victim of [first, second]) {
        const statuses = await killAndWatch(registry, victim, 2);
        assert.deepEqual(statuses.filter((s) => s !== 200), [], "every request during the restart was served");
        assert.ok(statuses.length > 5, `only ${statuses.length} requests during the restart`);
      }
      assert.match(registry.output(), /"msg":"worker died; starting another"/);
      assert.equal((registry.output().match(/"msg":"listening"/g) ?? []).length, 1, "listening is logged once");
    } finally {
      await registry.close();
    }
  });

  it("with one serving process, a request made while it restarts waits and is answered", async () => {
    const registry = await startRegistry({ args: ["--workers", "1"] });
    try {
      const [only] = childrenOf(registry.process.pid!);
      const statuses = await killAndWatch(registry, only!, 1);
      // The supervisor keeps the socket listening: connections queue until the new process accepts.
      assert.deepEqual(statuses.filter((s) => s !== 200), []);
    } finally {
      await registry.close();
    }
  });

  it("SIGTERM stops every serving process before the supervisor exits", async () => {
    const root = await mkdtemp(join(tmpdir(), "berth-stop-"));
    const registry = await startRegistry({ root, env: { BERTH_HTTP_WORKERS: "3" } });
    await waitForWorkers(registry);
    const workers = childrenOf(registry.process.pid!);
    assert.equal(workers.length, 3);
    await registry.close();
    assert.equal(registry.process.exitCode, 0);
    assert.deepEqual(await processesWithEnvironment(root), []);
    await rm(root, { recursive: true, force: true });
  });

  it("serving processes exit when the supervisor is killed with SIGKILL", async () => {
    const root = await mkdtemp(join(tmpdir(), "berth-orphan-"));
    const registry = await startRegistry({ root, env: { BERTH_HTTP_WORKERS: "2" } });
    await waitForWorkers(registry);
    registry.process.kill("SIGKILL");
    assert.ok(await eventually(async () => (await processesWithEnvironment(root)).length === 0, 15_000), "workers left behind");
    await rm(root, { recursive: true, force: true });
  });

  it("a port clash is one line naming the port, and creates nothing", async () => {
    const registry = await startRegistry();
    const root = await mkdtemp(join(tmpdir(), "berth-clash-"));
    try {
      const data = join(root, "data");
      const port = registry.host.split(":").pop();
      const result = await exec(process.execPath, [BERTH_MAIN, "serve", "--addr", registry.host, "--root", data], {
        env: { ...process.env, BERTH_AUTH_ENABLED: "true" },
      }).catch((e) => e);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `berth: port ${port} is in use; choose another with --addr or REGISTRY_HTTP_ADDR\n`);
      assert.equal(existsSync(data), false, "no data directory, database or operator was created");
    } finally {
      await registry.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it("tells the operator how to get a token on every start until it has logged in", async () => {
    const root = await mkdtemp(join(tmpdir(), "berth-first-run-"));
    const env = { BERTH_AUTH_ENABLED: "true", BERTH_HTTP_WORKERS: "1" };
    try {
      const first = await startRegistry({ root, env });
      await first.close();
      assert.match(first.output(), /docker login \S+ -u berth\/admin -p \S+/, "the first start shows the generated token");

      const second = await startRegistry({ root, env });
      await second.close();
      const hint = `berth iam auth-token create --tenancy berth --user admin --offline --root ${root}`;
      assert.ok(second.output().includes(hint), second.output());
      assert.doesNotMatch(second.output(), /-p [A-Za-z0-9_-]{20,}/, "no token is shown on a later start");

      // The hint's command works, and logging in with its token ends the hints.
      const { stdout } = await exec(process.execPath, [BERTH_MAIN, ...hint.split(" ").slice(1)]);
      const token = JSON.parse(stdout).data.token as string;
      const third = await startRegistry({ root, env });
      assert.ok(third.output().includes(hint));
      const res = await fetch(`${third.url}/v2/`, { headers: { Authorization: basic("berth/admin", token) } });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      await third.close();

      const fourth = await startRegistry({ root, env });
      await fourth.close();
      assert.ok(!fourth.output().includes(hint), fourth.output());
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("the bin is executable after the build and runs from a checkout", async () => {
    const { stdout } = await exec(BERTH_MAIN, ["--help"]);
    assert.match(stdout, /Usage: berth/);
    const checkout = join(BERTH_MAIN, "../../../..");
    const npx = await exec("npx", ["--no-install", "berth", "--help"], { cwd: checkout }).catch((e) => e);
    assert.match(npx.stdout, /Usage: berth/, npx.stderr);
  });
});
