// A tenancy's storage quota against a real `berth serve` (two serving processes): refused before
// the bytes where the request says how many, exactly at the commit otherwise, racing pushes never
// pass it together, deduplicated blobs never count twice, and garbage collection gives room back.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { BERTH_MAIN } from "../helpers/registry.js";
import { until } from "../helpers/until.js";
import { expectStatus } from "../iam/support.js";
import { answerBeforeBody, bytes, digestOf, pushChunked, pushImage, pushWhole, startTenant, v2, type Tenant } from "./support.js";

const denied = (answer: { status: number; text?: string; body?: string }, quota: number, used: number) => {
  const text = answer.text ?? answer.body ?? "";
  assert.equal(answer.status, 403, text);
  const error = JSON.parse(text).errors[0];
  assert.equal(error.code, "DENIED");
  assert.match(error.message, new RegExp(`storage quota of ${quota} bytes: it stores ${used} bytes`));
  return error;
};

describe("storage quota", () => {
  let t: Tenant;
  before(async () => {
    t = await startTenant({}, ["--workers", "2"]);
  });
  after(() => t?.registry.close());

  const setQuota = async (quota: number | null) => expectStatus(await t.operator.patch("/tenancies/acme", { storageQuota: quota }), 200, "quota");
  const stored = async () => (await t.admin.get("/tenancies/acme/usage")).body.data.storedBytes as number;

  it("is the operators' to set, shown on the tenancy; its administrators may not raise it", async () => {
    await setQuota(10_000);
    assert.equal((await t.admin.get("/tenancies/acme")).body.data.storageQuota, 10_000);
    const raised = await t.admin.patch("/tenancies/acme", { storageQuota: 1e9 });
    assert.equal(raised.status, 403);
    const bad = await t.operator.patch("/tenancies/acme", { storageQuota: -1 });
    assert.equal(bad.status, 400);
    // The CLI: a number of bytes, or `none`.
    const berth = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [BERTH_MAIN, "iam", "tenancy", "update", "--namespace", "acme", ...args, "--offline", "--root", t.registry.root, "-o", "json"], { env: { ...process.env, ...t.registry.metadataEnv, BERTH_AUTH_ENABLED: "true" } }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
    const none = await berth("--storage-quota", "none");
    assert.equal(none.code, 0, none.stderr);
    assert.equal(JSON.parse(none.stdout).data.storageQuota, null);
    const some = await berth("--storage-quota", "2048");
    assert.equal(JSON.parse(some.stdout).data.storageQuota, 2048);
    assert.equal((await berth("--storage-quota", "lots")).code, 2);
  });

  it("a blob whose declared length passes it is refused before its bytes, with the quota and the usage", async () => {
    await setQuota(10_000);
    const blob = bytes(12_000);
    // Only the headers are sent: the answer comes without a byte of the body.
    const whole = await answerBeforeBody(`${t.registry.url}/v2/acme/app/blobs/uploads/?digest=${digestOf(blob)}`, "POST", blob.length, { Authorization: t.auth });
    const error = denied(whole, 10_000, 0);
    assert.deepEqual(error.detail, { namespace: "acme", quota: 10_000, used: 0, adding: 12_000 });

    const session = await v2(t, "POST", "acme/app/blobs/uploads/");
    assert.equal(session.status, 202);
    const location = new URL(session.headers.get("location")!, t.registry.url);
    const first = await fetch(location, { method: "PATCH", body: bytes(6000), headers: { Authorization: t.auth, "Content-Range": "0-5999" } });
    await first.arrayBuffer();
    assert.equal(first.status, 202);
    const chunk = await answerBeforeBody(new URL(first.headers.get("location")!, t.registry.url).href, "PATCH", 6000, { Authorization: t.auth, "Content-Range": "6000-11999" });
    denied(chunk, 10_000, 0);
    const status = await fetch(location, { headers: { Authorization: t.auth } });
    assert.equal(status.headers.get("range"), "0-5999", "the session kept what it had");
    assert.equal(await stored(), 0);
  });

  it("racing pushes from several clients never pass it together; the refused ones say why", async () => {
    await setQuota(10_000);
    // Chunked with no declared total: each passes the check before its bytes, the commit decides.
    const blobs = Array.from({ length: 8 }, () => bytes(3000));
    const answers = await Promise.all(blobs.map((blob, i) => pushChunked(t, `acme/race${i % 3}`, blob)));
    const created = answers.filter((a) => a.status === 201).length;
    for (const a of answers.filter((a) => a.status !== 201)) {
      assert.equal(a.status, 403, a.text);
      assert.match(JSON.parse(a.text).errors[0].message, /would exceed its storage quota of 10000 bytes: it stores \d+ bytes and this push adds 3000/);
    }
    assert.equal(created, 3, "three blobs of 3000 bytes fit in 10000");
    assert.equal(await stored(), 9000);
  });

  it("a blob the tenancy stores already never counts twice", async () => {
    const held = bytes(1000);
    await setQuota(null);
    assert.equal((await pushWhole(t, "acme/dedup", held)).status, 201);
    const now = await stored();
    await setQuota(now);
    // At the quota: the same blob again, into other repositories, by POST, by a session's PUT and by mount.
    assert.equal((await pushWhole(t, "acme/dedup2", held)).status, 201);
    const session = await v2(t, "POST", "acme/dedup3/blobs/uploads/");
    const put = new URL(session.headers.get("location")!, t.registry.url);
    put.searchParams.set("digest", digestOf(held));
    const committed = await fetch(put, { method: "PUT", body: held as unknown as BodyInit, headers: { Authorization: t.auth, "Content-Type": "application/octet-stream" } });
    assert.equal(committed.status, 201, await committed.text());
    const mounted = await v2(t, "POST", `acme/dedup4/blobs/uploads/?mount=${digestOf(held)}&from=acme/dedup`);
    assert.equal(mounted.status, 201);
    assert.equal(await stored(), now);
    denied(await pushWhole(t, "acme/dedup", bytes(1)), now, now);
    // A chunk's digest is not known before its bytes: checked by its size, even for a blob held already.
    denied(await pushChunked(t, "acme/dedup5", held), now, now);
  });
});

describe("storage quota and garbage collection", () => {
  let t: Tenant;
  before(async () => {
    t = await startTenant({ BERTH_GC_INTERVAL: "200ms", BERTH_GC_GRACE: "5s" });
  });
  after(() => t?.registry.close());

  it("usage goes down once deleted images are collected, and the room is pushable again", async () => {
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
    const layer = bytes(5000);
    const first = await pushImage(t, "acme/app", "v1", config, [layer]);
    assert.equal(first.put.status, 201, first.put.text);
    const size = config.length + layer.length;
    assert.equal((await t.admin.get("/tenancies/acme/usage")).body.data.storedBytes, size);
    expectStatus(await t.operator.patch("/tenancies/acme", { storageQuota: size + 100 }), 200, "quota");

    const other = bytes(5000);
    denied(await pushWhole(t, "acme/app", other), size + 100, size);
    const deleted = await v2(t, "DELETE", `acme/app/manifests/${digestOf(first.manifest)}`);
    assert.equal(deleted.status, 202);
    await until(
      "the deleted image's blobs to be collected",
      async () => ((await t.admin.get("/tenancies/acme/usage")).body.data.storedBytes === 0 ? true : undefined),
      30_000,
    );
    assert.equal((await t.admin.get("/repositories/acme%2Fapp/usage")).body.data.storedBytes, 0);
    const second = await pushImage(t, "acme/app", "v2", config, [other]);
    assert.equal(second.put.status, 201, second.put.text);
  });
});
