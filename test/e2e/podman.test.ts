// podman against a real Berth: push, remove, pull back and run the image (proof every layer came
// back whole), then push a two-platform OCI index with `podman manifest` and pull through it.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { needTools } from "../helpers/tools.js";
import { containersEnv, makeScratch, removeScratch, type ContainersEnv } from "../fixtures/clients.js";
import { fetchManifest, pushLayout, rawManifest } from "../fixtures/distribution.js";
import { MEDIA_TYPES, buildBusyboxLayout, buildRandomLayout, ociArchitecture } from "../fixtures/oci-layout.js";

test("podman against Berth", { timeout: 300_000 }, async (t) => {
  if (!needTools(t, "podman", "skopeo", "runc")) return;
  const scratch = await makeScratch();
  let c: ContainersEnv | undefined;
  let registry: RunningRegistry | undefined;
  t.after(async () => {
    // containers left by a failed step hold mounts in the scratch folder
    await c?.run("podman", ["rm", "--all", "--force"]).catch(() => undefined);
    await registry?.close();
    await removeScratch(scratch);
  });
  c = await containersEnv(scratch);
  registry = await startRegistry();
  const { host, url } = registry;
  const layout = join(scratch, "layout");
  await buildBusyboxLayout(layout, { tag: "v1", extraFile: { path: "etc/berth-id", content: "podman\n" } });
  const ref = `${host}/ns/podman:v1`;

  await t.test("push a local image", async () => {
    await c.run("podman", ["pull", `oci:${layout}:v1`]);
    const { stdout } = await c.run("podman", ["images", "--quiet", "--noheading"]);
    const id = stdout.trim().split("\n")[0]!;
    await c.run("podman", ["tag", id, ref]);
    const digestFile = join(scratch, "podman.digest");
    await c.run("podman", ["push", "--tls-verify=false", "--digestfile", digestFile, ref]);
    const pushed = (await readFile(digestFile, "utf8")).trim();
    const served = await fetchManifest(url, "ns/podman", "v1");
    assert.equal(served.status, 200);
    assert.equal(served.digest, pushed);
    assert.equal(served.bodyDigest, pushed);
  });

  await t.test("rmi, pull and run the pulled image", async () => {
    await c.run("podman", ["rmi", "--all", "--force"]);
    assert.equal((await c.run("podman", ["images", "--quiet", "--noheading"])).stdout.trim(), "");
    await c.run("podman", ["pull", "--tls-verify=false", ref]);
    const hi = await c.run("podman", ["run", "--rm", ref, "echo", "hi"]);
    assert.equal(hi.stdout, "hi\n");
    const id = await c.run("podman", ["run", "--rm", ref, "cat", "/etc/berth-id"]);
    assert.equal(id.stdout, "podman\n");
  });

  await t.test("manifest create/add/push --all pushes an OCI index", async () => {
    // a second platform: not runnable here, only there to make the index multi-platform
    const other = ociArchitecture() === "arm64" ? "amd64" : "arm64";
    await buildRandomLayout(layout, { tag: "other", architecture: other });
    await pushLayout(c, layout, "other", `${host}/ns/podman:${other}`);

    const list = "localhost/berth-e2e-list:v1";
    await c.run("podman", ["manifest", "create", list]);
    await c.run("podman", ["manifest", "add", "--tls-verify=false", list, `docker://${ref}`]);
    await c.run("podman", ["manifest", "add", "--tls-verify=false", list, `docker://${host}/ns/podman:${other}`]);
    const multi = `${host}/ns/multi:v1`;
    await c.run("podman", ["manifest", "push", "--all", "--format", "oci", "--tls-verify=false", list, `docker://${multi}`]);

    const raw = await rawManifest(c, multi);
    assert.equal(raw.json.mediaType, MEDIA_TYPES.ociIndex);
    const platforms = (raw.json.manifests ?? []).map((m) => m.platform?.architecture).sort();
    assert.deepEqual(platforms, [ociArchitecture(), other].sort());
    // every child manifest was pushed into the index's repository and is served by digest
    for (const child of raw.json.manifests ?? []) {
      const served = await fetchManifest(url, "ns/multi", child.digest);
      assert.equal(served.status, 200, `child ${child.digest}`);
      assert.equal(served.bodyDigest, child.digest);
    }
    const served = await fetchManifest(url, "ns/multi", "v1");
    assert.equal(served.contentType, MEDIA_TYPES.ociIndex);
    assert.equal(served.digest, raw.digest);
  });

  await t.test("pull through the index picks this platform and runs", async () => {
    await c.run("podman", ["rmi", "--all", "--force"]);
    const multi = `${host}/ns/multi:v1`;
    await c.run("podman", ["pull", "--tls-verify=false", multi]);
    const hi = await c.run("podman", ["run", "--rm", multi, "echo", "hi"]);
    assert.equal(hi.stdout, "hi\n");
  });
});
