// Garbage collection as a user meets it: skopeo pushes two images, one is deleted, the scheduled
// collection removes its bytes from the disk (or the bucket), and the other still pulls whole.
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { containersEnv, makeScratch, removeScratch } from "../fixtures/clients.js";
import { pushLayout } from "../fixtures/distribution.js";
import { buildRandomLayout, type BuiltImage } from "../fixtures/oci-layout.js";
import { newDatabase, postgresAvailable } from "../helpers/postgres.js";
import { s3StorageEnv, startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { s3ForTests } from "../helpers/rgw.js";
import { needTools } from "../helpers/tools.js";
import { until } from "../helpers/until.js";
import { Api } from "../protocol/support.js";
import { createBucket, rawClient, rawKeys } from "../storage/s3-support.js";

/** Whether a blob's bytes are stored, asked of the disk or the bucket itself. */
type Stored = (digest: string) => Promise<boolean>;

async function collectsDeletedImage(t: TestContext, env: Record<string, string>, storedIn: (registry: RunningRegistry) => Stored): Promise<void> {
  if (!needTools(t, "skopeo")) return;
  const scratch = await makeScratch();
  // Every 200 ms, for what has been unreferenced for 2 s: longer than a push of these images takes.
  const registry = await startRegistry({ env: { BERTH_GC_INTERVAL: "200ms", BERTH_GC_GRACE: "2s", ...env } });
  t.after(async () => {
    await registry.close();
    await removeScratch(scratch);
  });
  const c = await containersEnv(scratch);
  const stored = storedIn(registry);
  const keep = await buildRandomLayout(join(scratch, "keep"), { tag: "v1", layers: 2, layerSize: 64 * 1024 });
  const drop = await buildRandomLayout(join(scratch, "drop"), { tag: "v1", layers: 2, layerSize: 64 * 1024 });
  await pushLayout(c, keep.dir, "v1", `${registry.host}/gc/app:keep`);
  await pushLayout(c, drop.dir, "v1", `${registry.host}/gc/app:drop`);
  const blobsOf = (image: BuiltImage) => [image.configDigest, ...image.layerDigests];
  for (const digest of [...blobsOf(keep), ...blobsOf(drop)]) assert.ok(await stored(digest), `${digest} pushed`);

  const api = new Api(registry.url);
  assert.equal((await api.delete(`/v2/gc/app/manifests/${drop.manifestDigest}`)).status, 202);
  await until(
    "the deleted image's blobs to be collected",
    async () => ((await Promise.all(blobsOf(drop).map(stored))).some(Boolean) ? undefined : true),
    20_000,
  );
  for (const digest of blobsOf(keep)) assert.ok(await stored(digest), `${digest} is still referenced`);
  for (const digest of blobsOf(drop)) {
    assert.equal((await api.head(`/v2/gc/app/blobs/${digest}`)).status, 404, "no repository lists it any more");
  }
  // The kept image pulls whole; skopeo checks every blob's digest as it copies.
  await c.run("skopeo", ["copy", "--src-tls-verify=false", `docker://${registry.host}/gc/app:keep`, `dir:${join(scratch, "pulled")}`]);
  const pulled = await stat(join(scratch, "pulled", keep.layerDigests[0]!.slice("sha256:".length)));
  assert.ok(pulled.isFile());
  const { stdout } = await c.run("skopeo", ["inspect", "--tls-verify=false", `docker://${registry.host}/gc/app:keep`]);
  assert.equal((JSON.parse(stdout) as { Digest: string }).Digest, keep.manifestDigest);
  assert.match(registry.output(), /"garbage collection done"/);
}

test("gc end to end on filesystem + SQLite: a deleted image's bytes leave the disk, the rest still pulls", { timeout: 120_000 }, async (t) => {
  await collectsDeletedImage(t, { BERTH_STORAGE_DRIVER: "filesystem" }, (registry) => async (digest) => {
    const hex = digest.slice("sha256:".length);
    return stat(join(registry.root, "blobs", "sha256", hex.slice(0, 2), hex)).then(
      () => true,
      () => false,
    );
  });
});

const gateway = process.env.BERTH_TEST_S3_ENDPOINT ? await s3ForTests() : undefined;
const skip = !gateway ? "no S3 gateway given (BERTH_TEST_S3_ENDPOINT)" : !postgresAvailable ? "PostgreSQL is not installed" : false;
test("gc end to end on S3 + PostgreSQL: a deleted image's objects leave the bucket, the rest still pulls", { skip, timeout: 120_000 }, async (t) => {
  const s3 = gateway!;
  const bucket = await createBucket(s3);
  const client = rawClient(s3);
  t.after(() => client.destroy());
  const env = { ...s3StorageEnv(s3, bucket), BERTH_METADATA_DRIVER: "postgres", BERTH_METADATA_POSTGRES_URL: await newDatabase() };
  await collectsDeletedImage(t, env, () => async (digest) => {
    const hex = digest.slice("sha256:".length);
    return (await rawKeys(client, bucket)).some((key) => key.endsWith(`blobs/sha256/${hex.slice(0, 2)}/${hex}`));
  });
});
