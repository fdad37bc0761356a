// skopeo (containers/image, the library under podman, buildah and CRI-O) against a real Berth:
// push an OCI layout unchanged, push as Docker schema 2, inspect, list tags, copy back, mount
// across repositories, delete.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { needTools } from "../helpers/tools.js";
import { containersEnv, makeScratch, removeScratch } from "../fixtures/clients.js";
import { fetchManifest, pushLayout, rawManifest } from "../fixtures/distribution.js";
import { MEDIA_TYPES, blobPath, buildBusyboxLayout, sha256 } from "../fixtures/oci-layout.js";

test("skopeo against Berth", { timeout: 300_000 }, async (t) => {
  if (!needTools(t, "skopeo")) return;
  const scratch = await makeScratch();
  let registry: RunningRegistry | undefined;
  t.after(async () => {
    await registry?.close();
    await removeScratch(scratch);
  });
  registry = await startRegistry();
  const { host, url } = registry;
  const c = await containersEnv(scratch);
  const layout = join(scratch, "layout");
  const image = await buildBusyboxLayout(layout, { tag: "v1" });

  await t.test("copy oci: → docker:// keeps the manifest digest", async () => {
    await pushLayout(c, layout, "v1", `${host}/ns/app:v1`);
    const raw = await rawManifest(c, `${host}/ns/app:v1`);
    assert.equal(raw.digest, image.manifestDigest);
    assert.equal(raw.text, image.manifest.toString());
    const served = await fetchManifest(url, "ns/app", "v1");
    assert.equal(served.status, 200);
    assert.equal(served.digest, image.manifestDigest);
    assert.equal(served.bodyDigest, image.manifestDigest);
    assert.equal(served.contentType, MEDIA_TYPES.ociManifest);
  });

  await t.test("inspect shows the pushed image and its config", async () => {
    const { stdout } = await c.run("skopeo", ["inspect", "--tls-verify=false", `docker://${host}/ns/app:v1`]);
    const info = JSON.parse(stdout) as { Digest: string; Architecture: string; Os: string; Layers: string[] };
    assert.equal(info.Digest, image.manifestDigest);
    assert.equal(info.Os, "linux");
    assert.deepEqual(info.Layers, image.layerDigests);

    const rawConfig = await c.run("skopeo", ["inspect", "--config", "--raw", "--tls-verify=false", `docker://${host}/ns/app:v1`]);
    assert.equal(sha256(rawConfig.stdout), image.configDigest);
    const config = await c.run("skopeo", ["inspect", "--config", "--tls-verify=false", `docker://${host}/ns/app:v1`]);
    const parsed = JSON.parse(config.stdout) as { rootfs: { diff_ids: string[] }; config: { Cmd: string[] } };
    assert.deepEqual(parsed.rootfs.diff_ids, image.diffIds);
    assert.deepEqual(parsed.config.Cmd, ["/bin/sh"]);
  });

  await t.test("copy --format v2s2 pushes a Docker schema 2 manifest over the same blobs", async () => {
    await pushLayout(c, layout, "v1", `${host}/ns/app:docker`, ["--format", "v2s2"]);
    const raw = await rawManifest(c, `${host}/ns/app:docker`);
    assert.equal(raw.json.mediaType, MEDIA_TYPES.dockerManifest);
    assert.equal(raw.json.config?.digest, image.configDigest);
    assert.deepEqual(raw.json.layers?.map((l) => l.digest), image.layerDigests);
    assert.notEqual(raw.digest, image.manifestDigest);
    const served = await fetchManifest(url, "ns/app", "docker");
    assert.equal(served.status, 200);
    assert.equal(served.contentType, MEDIA_TYPES.dockerManifest);
    assert.equal(served.digest, raw.digest);
  });

  await t.test("list-tags lists both tags", async () => {
    const { stdout } = await c.run("skopeo", ["list-tags", "--tls-verify=false", `docker://${host}/ns/app`]);
    const tags = (JSON.parse(stdout) as { Tags: string[] }).Tags;
    assert.deepEqual([...tags].sort(), ["docker", "v1"]);
  });

  await t.test("copy docker:// → oci: and dir: gives back the same bytes", async () => {
    const back = join(scratch, "back");
    await c.run("skopeo", ["copy", "--src-tls-verify=false", `docker://${host}/ns/app:v1`, `oci:${back}:v1`]);
    const index = JSON.parse(await readFile(join(back, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    assert.equal(index.manifests[0]?.digest, image.manifestDigest);
    for (const digest of [image.manifestDigest, image.configDigest, ...image.layerDigests]) {
      assert.ok((await readFile(blobPath(back, digest))).equals(await readFile(blobPath(layout, digest))), `blob ${digest} differs`);
    }

    const dir = join(scratch, "dir");
    await c.run("skopeo", ["copy", "--src-tls-verify=false", `docker://${host}/ns/app:docker`, `dir:${dir}`]);
    for (const digest of [image.configDigest, ...image.layerDigests]) {
      const copied = await readFile(join(dir, digest.slice("sha256:".length)));
      assert.ok(copied.equals(await readFile(blobPath(layout, digest))), `blob ${digest} differs`);
    }
  });

  await t.test("copy between repositories of the same registry (blob mount) keeps the digest", async () => {
    await c.run("skopeo", ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", `docker://${host}/ns/app:v1`, `docker://${host}/other/copy:v1`]);
    assert.equal((await rawManifest(c, `${host}/other/copy:v1`)).digest, image.manifestDigest);
    for (const digest of [image.configDigest, ...image.layerDigests]) {
      const head = await fetch(`${url}/v2/other/copy/blobs/${digest}`, { method: "HEAD" });
      assert.equal(head.status, 200, `HEAD other/copy blob ${digest}`);
    }
  });

  await t.test("a second image under a new tag gets its own digest", async () => {
    const second = await buildBusyboxLayout(layout, { tag: "v2", extraFile: { path: "etc/berth-id", content: "second\n" } });
    assert.notEqual(second.manifestDigest, image.manifestDigest);
    await pushLayout(c, layout, "v2", `${host}/ns/app:v2`);
    assert.equal((await rawManifest(c, `${host}/ns/app:v2`)).digest, second.manifestDigest);
    assert.equal((await rawManifest(c, `${host}/ns/app:v1`)).digest, image.manifestDigest);
  });

  await t.test("delete removes the manifest and its tag", async () => {
    const docker = await fetchManifest(url, "ns/app", "docker");
    assert.equal(docker.status, 200);
    await c.run("skopeo", ["delete", "--tls-verify=false", `docker://${host}/ns/app:docker`]);
    assert.equal((await fetchManifest(url, "ns/app", docker.digest!)).status, 404);
    assert.equal((await fetchManifest(url, "ns/app", "docker")).status, 404);
    // the other manifests of the repository are untouched
    assert.equal((await fetchManifest(url, "ns/app", "v1")).status, 200);
    const { stdout } = await c.run("skopeo", ["list-tags", "--tls-verify=false", `docker://${host}/ns/app`]);
    assert.deepEqual([...(JSON.parse(stdout) as { Tags: string[] }).Tags].sort(), ["v1", "v2"]);
  });
});
