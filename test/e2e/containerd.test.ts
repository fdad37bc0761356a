// containerd (what Kubernetes nodes pull with) against a real Berth, driven by its `ctr` client:
// pull over plain HTTP, run the pulled image, push a re-tagged image and pull an OCI index.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { needTools } from "../helpers/tools.js";
import { containersEnv, makeScratch, removeScratch, startContainerd, type Containerd } from "../fixtures/clients.js";
import { fetchManifest, pushLayout, rawManifest } from "../fixtures/distribution.js";
import { buildBusyboxLayout, buildRandomLayout, ociArchitecture } from "../fixtures/oci-layout.js";

test("containerd (ctr) against Berth", { timeout: 300_000 }, async (t) => {
  if (!needTools(t, "containerd", "ctr", "runc", "skopeo")) return;
  const scratch = await makeScratch();
  let containerd: Containerd | undefined;
  let registry: RunningRegistry | undefined;
  t.after(async () => {
    await containerd?.stop();
    await registry?.close();
    await removeScratch(scratch);
  });
  registry = await startRegistry();
  const { host, url } = registry;
  containerd = await startContainerd(scratch);
  const { ctrRunFlags } = containerd;
  const ctr = (...args: string[]) => containerd!.ctr(args);
  const c = await containersEnv(scratch);
  const layout = join(scratch, "layout");
  const image = await buildBusyboxLayout(layout, { tag: "v1", extraFile: { path: "etc/berth-id", content: "containerd\n" } });
  await pushLayout(c, layout, "v1", `${host}/ns/app:v1`);

  await t.test("images pull --plain-http", async () => {
    await ctr("images", "pull", "--plain-http", `${host}/ns/app:v1`);
    const { stdout } = await ctr("images", "ls");
    const line = stdout.split("\n").find((l) => l.startsWith(`${host}/ns/app:v1 `));
    assert.ok(line, `image not listed:\n${stdout}`);
    assert.ok(line.includes(image.manifestDigest), `wrong digest:\n${line}`);
  });

  await t.test("run the pulled image", async () => {
    const { stdout } = await ctr("run", ...ctrRunFlags, "--rm", `${host}/ns/app:v1`, "berth-e2e-hi", "echo", "hi");
    assert.equal(stdout, "hi\n");
    const id = await ctr("run", ...ctrRunFlags, "--rm", `${host}/ns/app:v1`, "berth-e2e-cat", "cat", "/etc/berth-id");
    assert.equal(id.stdout, "containerd\n");
  });

  await t.test("images push --plain-http of a re-tagged image keeps the digest", async () => {
    await ctr("images", "tag", `${host}/ns/app:v1`, `${host}/ns/ctr:pushed`);
    await ctr("images", "push", "--plain-http", `${host}/ns/ctr:pushed`);
    assert.equal((await rawManifest(c, `${host}/ns/ctr:pushed`)).digest, image.manifestDigest);
    const served = await fetchManifest(url, "ns/ctr", "pushed");
    assert.equal(served.digest, image.manifestDigest);
  });

  await t.test("pull an OCI index and run this platform's image", async () => {
    // an index of this platform's busybox image and a random image for another platform
    const other = ociArchitecture() === "arm64" ? "amd64" : "arm64";
    const foreign = await buildRandomLayout(layout, { tag: "foreign", architecture: other });
    await pushLayout(c, layout, "foreign", `${host}/ns/multi:${other}`);
    await pushLayout(c, layout, "v1", `${host}/ns/multi:native`);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [
          { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: image.manifestDigest, size: image.manifestSize, platform: { architecture: ociArchitecture(), os: "linux" } },
          { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: foreign.manifestDigest, size: foreign.manifestSize, platform: { architecture: other, os: "linux" } },
        ],
      }),
    );
    const put = await fetch(`${url}/v2/ns/multi/manifests/index`, {
      method: "PUT",
      headers: { "Content-Type": "application/vnd.oci.image.index.v1+json" },
      body: index,
    });
    assert.equal(put.status, 201, await put.text());

    await ctr("images", "pull", "--plain-http", `${host}/ns/multi:index`);
    const { stdout } = await ctr("run", ...ctrRunFlags, "--rm", `${host}/ns/multi:index`, "berth-e2e-index", "echo", "hi");
    assert.equal(stdout, "hi\n");
  });
});
