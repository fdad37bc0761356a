// Usage as a tenancy sees it, against a real `berth serve` (two serving processes): stored bytes
// counted once per blob per repository and once per tenancy, images and tags, pulls and egress
// per day exactly as pushed and pulled, through the admin API, the CLI and /metrics.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { BERTH_MAIN } from "../helpers/registry.js";
import { until } from "../helpers/until.js";
import { basic, expectStatus, OPERATOR } from "../iam/support.js";
import { sample, scrape } from "../observe/support.js";
import { bytes, digestOf, pushImage, startTenant, v2, type Tenant } from "./support.js";

describe("usage of repositories and tenancies", () => {
  let t: Tenant;
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
  const shared = bytes(1000);
  const own = bytes(2000);
  let one: Buffer;
  let two: Buffer;

  before(async () => {
    t = await startTenant({}, ["--workers", "2"]);
    const first = await pushImage(t, "acme/one", "v1", config, [shared]);
    expectStatus({ ...first.put, body: first.put.text }, 201, "acme/one:v1");
    one = first.manifest;
    const second = await pushImage(t, "acme/two", "v1", config, [shared, own]);
    expectStatus({ ...second.put, body: second.put.text }, 201, "acme/two:v1");
    two = second.manifest;
    // a second tag of the same image: two tags, one image
    expectStatus({ ...(await v2(t, "PUT", "acme/two/manifests/latest", two, { "Content-Type": "application/vnd.oci.image.manifest.v1+json" })), body: "" }, 201, "latest");
  });
  after(() => t?.registry.close());

  it("stored bytes: once per blob in a repository, once per blob in the tenancy", async () => {
    const a = (await t.admin.get("/repositories/acme%2Fone/usage")).body.data;
    assert.equal(a.storedBytes, config.length + shared.length);
    assert.equal(a.manifests, 1);
    assert.equal(a.tags, 1);
    assert.equal(a.immutableTags, false);
    const b = (await t.admin.get("/repositories/acme%2Ftwo/usage")).body.data;
    assert.equal(b.storedBytes, config.length + shared.length + own.length);
    assert.equal(b.manifests, 1);
    assert.equal(b.tags, 2);
    const tenancy = (await t.admin.get("/tenancies/acme/usage")).body.data;
    assert.equal(tenancy.storedBytes, config.length + shared.length + own.length, "the config and the shared layer count once");
    assert.equal(tenancy.size, 2 * config.length + 2 * shared.length + own.length, "size (sum of the repositories) counts them in both");
    assert.equal(tenancy.storageQuota, null);
    assert.equal(tenancy.repositories, 2);
    assert.equal(tenancy.manifests, 2);
    assert.equal(tenancy.tags, 3);
  });

  it("pulls and egress per day: manifest GETs are pulls, blob and manifest bodies are egress, HEADs are neither", async () => {
    const today = new Date().toISOString().slice(0, 10);
    for (let i = 0; i < 3; i++) assert.equal((await v2(t, "GET", "acme/one/manifests/v1")).status, 200);
    assert.equal((await v2(t, "HEAD", "acme/one/manifests/v1")).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await v2(t, "GET", `acme/one/blobs/${digestOf(shared)}`)).status, 200);
    assert.equal((await v2(t, "GET", `acme/one/blobs/${digestOf(shared)}`, undefined, { Range: "bytes=0-99" })).status, 206);
    assert.equal((await v2(t, "HEAD", `acme/one/blobs/${digestOf(shared)}`)).status, 200);
    assert.equal((await v2(t, "GET", "acme/two/manifests/latest")).status, 200);
    const egressOne = 3 * one.length + 2 * shared.length + 100;

    // Each serving process writes what it counted within a second.
    const usage = await until("acme/one's pulls and egress", async () => {
      const data = (await t.admin.get("/repositories/acme%2Fone/usage?days=7")).body.data;
      return data.window.pulls === 3 && data.window.egressBytes === egressOne ? data : undefined;
    });
    assert.equal(usage.window.days, 7);
    assert.equal(usage.window.daily.length, 7, "every day of the window, the quiet ones too");
    assert.deepEqual(usage.window.daily.at(-1), { date: today, pulls: 3, egressBytes: egressOne });
    assert.equal(usage.totalPulls, 3);
    const tenancy = await until("acme's pulls", async () => {
      const data = (await t.admin.get("/tenancies/acme/usage?days=1")).body.data;
      return data.window.pulls === 4 ? data : undefined;
    });
    assert.deepEqual(tenancy.window.daily, [{ date: today, pulls: 4, egressBytes: egressOne + two.length }]);
    const listed = (await t.operator.get("/usage?days=2")).body.data as { namespace: string; window: { pulls: number } }[];
    assert.equal(listed.find((u) => u.namespace === "acme")?.window.pulls, 4);

    const bad = await t.admin.get("/repositories/acme%2Fone/usage?days=0");
    assert.equal(bad.status, 400);
    assert.match(bad.body.errors[0].message, /days must be a whole number from 1 to 366/);

    // /metrics: the egress every serving process counted, and the tenancy's stored bytes (by tenancy only).
    const text = await scrape(t.registry, basic(OPERATOR, t.registry.operatorToken));
    assert.equal(sample(text, 'berth_tenancy_egress_bytes_total{tenancy="acme"}'), egressOne + two.length);
    assert.equal(sample(text, 'berth_tenancy_stored_bytes{tenancy="acme"}'), config.length + shared.length + own.length);
    assert.ok(!/berth_tenancy_[a-z_]+\{[^}]*repository=/.test(text), "no repository label on the tenancy metrics");
  });

  it("berth usage: a repository's and a tenancy's, offline on the data directory", async () => {
    const berth = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [BERTH_MAIN, ...args], { env: { ...process.env, ...t.registry.metadataEnv, BERTH_AUTH_ENABLED: "true" } }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
    const repo = await berth(["usage", "--repo", "acme/two", "--days", "3", "--offline", "--root", t.registry.root, "--output", "json"]);
    assert.equal(repo.code, 0, repo.stderr);
    const data = JSON.parse(repo.stdout).data;
    assert.equal(data.storedBytes, config.length + shared.length + own.length);
    assert.equal(data.window.daily.length, 3);
    const tenancy = await berth(["usage", "--tenancy", "acme", "--offline", "--root", t.registry.root, "--output", "table"]);
    assert.equal(tenancy.code, 0, tenancy.stderr);
    assert.match(tenancy.stdout, new RegExp(`^storedBytes\\s+${config.length + shared.length + own.length}$`, "m"));
    const both = await berth(["usage", "--tenancy", "acme", "--repo", "acme/two", "--offline", "--root", t.registry.root]);
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /give --tenancy or --repo, not both/);
  });
});
