// Garbage collection as an operator runs it: `berth gc` remote (through the admin API, as the
// operator's profile) and --offline with the server stopped, against a real `berth serve`.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { loadConfig } from "../../src/config/config.js";
import { GcBusy, startGc } from "../../src/lifecycle/run.js";
import { openSqliteStores } from "../../src/metadata/sqlite.js";
import { Registry } from "../../src/registry/registry.js";
import { MemoryDriver } from "../../src/storage/drivers/memory.js";
import { until } from "../helpers/until.js";
import { makeImage } from "../protocol/support.js";
import { BERTH_MAIN } from "../helpers/registry.js";
import { api, basic, digest, expectStatus, OPERATOR, startAuthRegistry, type AuthRegistry } from "../iam/support.js";

/** The lease test opens the SQLite database beside the server; on PostgreSQL it is elsewhere. */
const onPostgres = () => (process.env.BERTH_TEST_METADATA === "postgres" ? "SQLite only" : false);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** A one-layer image pushed over /v2 with Basic credentials; its digests and bytes. */
async function pushImage(registry: AuthRegistry, authorization: string, repo: string, tag: string) {
  const layer = randomBytes(3000);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, tag }));
  for (const blob of [layer, config]) {
    const res = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/?digest=${digest(blob)}`, { method: "POST", headers: { Authorization: authorization }, body: blob });
    assert.equal(res.status, 201, await res.text());
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: digest(config), size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: digest(layer), size: layer.length }],
    }),
  );
  const res = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, {
    method: "PUT",
    headers: { Authorization: authorization, "Content-Type": "application/vnd.oci.image.manifest.v1+json" },
    body: manifest,
  });
  assert.equal(res.status, 201, await res.text());
  return { manifest: digest(manifest), blobs: [digest(layer), digest(config)], bytes: layer.length + config.length };
}

describe("berth gc: on demand, remote and offline", () => {
  let registry: AuthRegistry;
  let root: string;
  let configHome: string;
  const env = { BERTH_GC_ENABLED: "false", BERTH_GC_GRACE: "0s" };

  const berth = (args: string[], input = ""): Promise<Outcome> =>
    new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [BERTH_MAIN, ...args],
        { env: { ...process.env, ...registry.metadataEnv, ...env, XDG_CONFIG_HOME: configHome, BERTH_PROFILE: "" }, encoding: "utf8" },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin!.end(input);
    });
  const gcJson = async (args: string[]) => {
    const res = await berth(["gc", ...args, "--output", "json"]);
    assert.equal(res.code, 0, `berth gc ${args.join(" ")}: ${res.stderr}`);
    return JSON.parse(res.stdout).data;
  };
  const stored = (d: string) =>
    stat(join(root, "blobs", "sha256", d.slice(7, 9), d.slice(7))).then(
      () => true,
      () => false,
    );

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "berth-gc-api-"));
    configHome = await mkdtemp(join(tmpdir(), "berth-gc-cli-"));
    registry = await startAuthRegistry({ ...env }, root);
  });

  let closed = false;
  const stop = async () => {
    if (!closed) await registry?.close();
    closed = true;
  };

  after(async () => {
    await stop();
    await rm(root, { recursive: true, force: true });
    await rm(configHome, { recursive: true, force: true });
  });

  it("one at a time: while the gc lease is held elsewhere, POST /gc and `berth gc` are refused with CONFLICT", { skip: onPostgres() }, async () => {
    const operator = api(registry, OPERATOR, registry.operatorToken);
    const { jobs, meta } = await openSqliteStores(join(root, "berth.db"));
    try {
      assert.ok(await jobs.seize("gc", "another-node", Date.now(), 60_000));
      const refused = await operator.post("/gc", {});
      expectStatus(refused, 409, "while another node collects");
      assert.equal(refused.body.errors[0].code, "CONFLICT");
      assert.match(refused.body.errors[0].message, /already running/);
      const login = await berth(["login", registry.url, "--username", OPERATOR, "--password-stdin"], `${registry.operatorToken}\n`);
      assert.equal(login.code, 0, login.stderr);
      const cli = await berth(["gc"]);
      assert.equal(cli.code, 5, cli.stderr);
      assert.match(cli.stderr, /^berth: conflict: garbage collection is already running[^\n]*\n$/);
      expectStatus(await operator.post("/gc", { dryRun: "yes" }), 400, "a body that is not the schema");
      await jobs.release("gc", "another-node");
    } finally {
      await meta.close();
    }
  });

  it("dry run reports without deleting; a real run deletes the bytes; the other image still pulls; offline with the server stopped", async () => {
    const operator = api(registry, OPERATOR, registry.operatorToken);
    const auth = basic(OPERATOR, registry.operatorToken);
    const keep = await pushImage(registry, auth, "berth/app", "keep");
    const drop = await pushImage(registry, auth, "berth/app", "drop");
    expectStatus(await operator.get("/gc"), 404, "no run yet");
    expectStatus(await operator.delete(`/repositories/berth%2Fapp/images/${drop.manifest}`), 204, "delete the image");

    const login = await berth(["login", registry.url, "--username", OPERATOR, "--password-stdin"], `${registry.operatorToken}\n`);
    assert.equal(login.code, 0, login.stderr);

    const dry = await gcJson(["--dry-run"]);
    assert.equal(dry.state, "succeeded");
    assert.equal(dry.dryRun, true);
    assert.equal(dry.trigger, OPERATOR);
    assert.deepEqual(dry.result, { manifests: 0, blobs: 2, bytes: drop.bytes, uploads: 0 });
    for (const d of [...keep.blobs, ...drop.blobs]) assert.ok(await stored(d), `${d} is still stored after a dry run`);

    const table = await berth(["gc", "--output", "table"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^garbage collection \S+ removed 0 manifests, 2 blobs \(\d+(\.\d)? (B|KiB)\), 0 uploads in \d+\.\d s\n$/);
    for (const d of drop.blobs) assert.equal(await stored(d), false, `${d} is gone from the disk`);
    for (const d of keep.blobs) assert.ok(await stored(d), `${d} is kept`);

    // The API reports the same run, and the kept image pulls whole.
    const last = await operator.get("/gc");
    expectStatus(last, 200, "the last run");
    assert.equal(last.body.data.dryRun, false);
    assert.deepEqual(last.body.data.result, { manifests: 0, blobs: 2, bytes: drop.bytes, uploads: 0 });
    assert.ok(Date.parse(last.body.data.finishedAt) >= Date.parse(last.body.data.startedAt));
    const manifest = await fetch(`${registry.url}/v2/berth/app/manifests/keep`, { headers: { Authorization: auth, Accept: "application/vnd.oci.image.manifest.v1+json" } });
    assert.equal(manifest.status, 200);
    assert.equal(digest(Buffer.from(await manifest.arrayBuffer())), keep.manifest);
    for (const d of keep.blobs) {
      const blob = await fetch(`${registry.url}/v2/berth/app/blobs/${d}`, { headers: { Authorization: auth } });
      assert.equal(blob.status, 200);
      assert.equal(digest(Buffer.from(await blob.arrayBuffer())), d);
    }

    // Each start is in the registry's audit log, with its run.
    await until("the starts in the audit log", async () => {
      const events = (await operator.get("/audit?limit=100")).body.data as { action: string; actor: string; detail: string | null }[];
      const starts = events.filter((e) => e.action === "RunGarbageCollection" && e.actor === OPERATOR);
      return starts.some((e) => e.detail === `run ${dry.id}, dry`) && starts.some((e) => e.detail === `run ${last.body.data.id}`) ? true : undefined;
    });

    // Offline, with the server stopped: the other image goes too.
    expectStatus(await operator.delete(`/repositories/berth%2Fapp/images/${keep.manifest}`), 204, "delete the other image");
    await stop();
    const badNice = await berth(["gc", "--offline", "--root", root, "--nice", "20"]);
    assert.equal(badNice.code, 2);
    assert.match(badNice.stderr, /--nice: expected a whole number from 0 to 19, got 20/);
    const offline = await gcJson(["--offline", "--root", root]);
    assert.equal(offline.trigger, "local-operator");
    assert.deepEqual(offline.result, { manifests: 0, blobs: 2, bytes: keep.bytes, uploads: 0 });
    for (const d of keep.blobs) assert.equal(await stored(d), false, `${d} is gone`);
    const status = await berth(["gc", "status", "--offline", "--root", root, "--output", "json"]);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).data.id, offline.id);
  });
});

async function* chunksOf(data: Buffer) {
  yield data;
}

describe("a collection's run record", () => {
  it("shows a running collection's progress to any reader, refuses a second one, and ends with the result", async () => {
    const log = pino({ level: "silent" });
    const { meta, jobs, runs } = await openSqliteStores(":memory:");
    const storage = new MemoryDriver();
    const registry = new Registry({ storage, meta, now: Date.now, deleteEnabled: true, log });
    const config = loadConfig({ env: {}, flags: { "gc.grace": "0s" } });
    const app = { config, storage, meta, jobs, registry, runs };
    const image = makeImage({ layers: 2 });
    for (const blob of image.blobs) await registry.uploads.putWhole("p/app", blob.digest, chunksOf(blob.data));
    await registry.manifests.put("p/app", "v1", image.bytes, image.mediaType);
    await registry.manifests.delete("p/app", image.digest);
    // The run stops at its upload phase, after the blobs, until the test lets it go on.
    let letGo!: () => void;
    const gate = new Promise<void>((resolve) => (letGo = resolve));
    const purge = registry.uploads.purgeStale.bind(registry.uploads);
    registry.uploads.purgeStale = async (before) => (await gate, purge(before));
    try {
      const started = await startGc(app, { trigger: "tester" });
      const running = await until("the blobs counted in the record", async () => {
        const run = await runs.get(started.id!, Date.now(), config.jobs.lease);
        return run?.state === "running" && run.progress.blobs === 3 ? run : undefined;
      });
      assert.equal(running.trigger, "tester");
      assert.equal(running.progress.phase, "blobs");
      await assert.rejects(startGc(app, { dryRun: true }), GcBusy, "one at a time, dry runs too");
      assert.equal((await runs.latest("gc", Date.now(), config.jobs.lease))?.id, started.id);
      letGo();
      const result = await started.done;
      const bytes = image.blobs.reduce((sum, b) => sum + b.size, 0);
      assert.deepEqual(result, { manifests: 0, blobs: 3, bytes, uploads: 0 });
      const ended = await runs.get(started.id!, Date.now(), config.jobs.lease);
      assert.equal(ended?.state, "succeeded");
      assert.deepEqual(ended?.progress, { phase: "done", ...result });
      assert.ok(ended!.finishedAt! >= ended!.startedAt);
      // A run whose process died stops beating: it reads `interrupted` once the lease has passed.
      const orphan = await runs.begin("gc", "schedule", false, Date.now());
      assert.equal((await runs.get(orphan, Date.now(), config.jobs.lease))?.state, "running");
      assert.equal((await runs.get(orphan, Date.now() + config.jobs.lease + 1, config.jobs.lease))?.state, "interrupted");
    } finally {
      letGo();
      await meta.close();
    }
  });
});
