// `/healthz` and `/readyz`: a real `berth serve` whose blob directories or database file go
// missing, and the readiness checks in this process for what a server cannot be made to do on cue.
import assert from "node:assert/strict";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { loadConfig } from "../../src/config/config.js";
import { openSqliteStores } from "../../src/metadata/sqlite.js";
import { Readiness, storeChecks } from "../../src/server/health.js";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { eventually } from "./support.js";

interface Ready {
  status: number;
  body: { status: string; checks: Record<string, string> };
}

async function readyz(registry: RunningRegistry): Promise<Ready> {
  const res = await fetch(`${registry.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Ready["body"] };
}

describe("health and readiness of a running server", () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await startRegistry({ args: ["--workers", "1"] });
  });
  after(() => registry?.close());

  it("/healthz answers while the process serves", async () => {
    const res = await fetch(`${registry.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
    assert.equal((await fetch(`${registry.url}/healthz`, { method: "HEAD" })).status, 200);
    assert.equal((await fetch(`${registry.url}/healthz`, { method: "DELETE" })).status, 405);
  });

  it("/readyz is 200 when the database and the blob store answer", async () => {
    assert.deepEqual(await readyz(registry), { status: 200, body: { status: "ready", checks: { metadata: "ok", storage: "ok" } } });
  });

  it("/readyz is 503 naming the storage while the blob directories are gone, and 200 again after", async () => {
    const blobs = join(registry.root, "blobs");
    await rename(blobs, `${blobs}.away`);
    try {
      const down = await readyz(registry);
      assert.equal(down.status, 503);
      assert.deepEqual(down.body, { status: "unready", checks: { metadata: "ok", storage: "ENOENT" } });
      assert.ok(await eventually(async () => registry.output().includes('"msg":"not ready"')), "the log says why");
    } finally {
      await rename(`${blobs}.away`, blobs);
    }
    assert.equal((await readyz(registry)).status, 200);
    assert.ok(await eventually(async () => registry.output().includes('"msg":"ready again"')));
  });

  it("/readyz is 503 naming the metadata while the database file is gone", async () => {
    const db = join(registry.root, "berth.db");
    await rename(db, `${db}.away`);
    try {
      const down = await readyz(registry);
      assert.equal(down.status, 503);
      assert.equal(down.body.checks.metadata, "ENOENT");
      assert.equal(down.body.checks.storage, "ok");
    } finally {
      await rename(`${db}.away`, db);
    }
    assert.equal((await readyz(registry)).status, 200);
  });
});

describe("readiness checks", () => {
  const log = pino({ level: "silent" });

  it("a check that does not answer in time fails the round", async () => {
    const readiness = new Readiness([{ name: "slow", run: () => new Promise(() => undefined) }, { name: "fine", run: async () => undefined }], log, 100);
    const started = Date.now();
    assert.deepEqual(await readiness.check(), { ready: false, checks: { slow: "timed out after 100 ms", fine: "ok" } });
    assert.ok(Date.now() - started < 2_000);
  });

  it("a closed metadata database fails the metadata check", async (t) => {
    const root = await mkdtemp(join(tmpdir(), "berth-ready-"));
    t.after(() => rm(root, { recursive: true, force: true }));
    const config = loadConfig({ env: {}, flags: { "storage.filesystem.rootdirectory": root } });
    const { meta } = await openSqliteStores(join(root, "berth.db"));
    const checks = storeChecks(config, meta).filter((c) => c.name === "metadata");
    assert.deepEqual(await new Readiness(checks, log).check(), { ready: true, checks: { metadata: "ok" } });
    await meta.close();
    const report = await new Readiness(checks, log).check();
    assert.equal(report.ready, false);
    assert.notEqual(report.checks.metadata, "ok");
  });

  it("callers during a round share its answer", async () => {
    let runs = 0;
    const readiness = new Readiness([{ name: "counted", run: async () => void (runs += 1) }], log);
    await Promise.all([readiness.check(), readiness.check(), readiness.check()]);
    assert.equal(runs, 1);
    await readiness.check();
    assert.equal(runs, 2, "a later caller starts a new round");
  });
});
