// buildah against a real Berth: build images without a daemon (from scratch, and on top of a base
// pulled from Berth), push them in Docker and OCI formats, check them with skopeo, pull them back.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { needTools } from "../helpers/tools.js";
import { containersEnv, makeScratch, removeScratch, type ContainersEnv } from "../fixtures/clients.js";
import { fetchManifest, pushLayout, rawManifest } from "../fixtures/distribution.js";
import { BUSYBOX_PATH, MEDIA_TYPES, buildBusyboxLayout } from "../fixtures/oci-layout.js";

test("buildah against Berth", { timeout: 300_000 }, async (t) => {
  if (!needTools(t, "buildah", "skopeo", "runc")) return;
  const scratch = await makeScratch();
  let c: ContainersEnv | undefined;
  let registry: RunningRegistry | undefined;
  t.after(async () => {
    // working containers keep their root filesystems in the scratch folder
    await c?.run("buildah", ["rm", "--all"]).catch(() => undefined);
    await registry?.close();
    await removeScratch(scratch);
  });
  c = await containersEnv(scratch);
  registry = await startRegistry();
  const { host, url } = registry;
  const buildah = async (...args: string[]) => (await c.run("buildah", args)).stdout.trim();

  await t.test("from scratch, copy, commit, push as Docker schema 2", async () => {
    const hello = join(scratch, "hello.txt");
    await writeFile(hello, "hello from buildah\n");
    const ctr = await buildah("from", "scratch");
    await buildah("copy", ctr, BUSYBOX_PATH, "/bin/busybox");
    await buildah("copy", ctr, hello, "/hello.txt");
    await buildah("config", "--entrypoint", '["/bin/busybox"]', "--label", "berth.test=scratch", ctr);
    await buildah("commit", "--format", "docker", ctr, "localhost/berth-e2e/scratch:v1");
    const digestFile = join(scratch, "scratch.digest");
    await buildah("push", "--tls-verify=false", "--digestfile", digestFile, "localhost/berth-e2e/scratch:v1", `docker://${host}/ns/buildah:scratch`);

    const raw = await rawManifest(c, `${host}/ns/buildah:scratch`);
    assert.equal(raw.digest, (await readFile(digestFile, "utf8")).trim());
    assert.equal(raw.json.mediaType, MEDIA_TYPES.dockerManifest);
    assert.equal(raw.json.config?.mediaType, "application/vnd.docker.container.image.v1+json");
    // everything copied into a scratch container is committed as one layer
    assert.equal(raw.json.layers?.length, 1);
    const { stdout } = await c.run("skopeo", ["inspect", "--tls-verify=false", `docker://${host}/ns/buildah:scratch`]);
    assert.equal((JSON.parse(stdout) as { Labels: Record<string, string> }).Labels["berth.test"], "scratch");
  });

  await t.test("from a base pulled from Berth, run, commit OCI, push", async () => {
    const layout = join(scratch, "layout");
    const base = await buildBusyboxLayout(layout, { tag: "base" });
    await pushLayout(c, layout, "base", `${host}/ns/base:v1`);

    const ctr = await buildah("from", "--tls-verify=false", `docker://${host}/ns/base:v1`);
    await buildah("run", "--network", "none", ctr, "--", "sh", "-c", "echo built > /built.txt");
    await buildah("config", "--label", "berth.test=layered", ctr);
    await buildah("commit", "--format", "oci", ctr, "localhost/berth-e2e/layered:v1");
    const digestFile = join(scratch, "layered.digest");
    await buildah("push", "--tls-verify=false", "--digestfile", digestFile, "localhost/berth-e2e/layered:v1", `docker://${host}/ns/buildah:layered`);

    const pushed = (await readFile(digestFile, "utf8")).trim();
    const { stdout } = await c.run("skopeo", ["inspect", "--tls-verify=false", `docker://${host}/ns/buildah:layered`]);
    const info = JSON.parse(stdout) as { Digest: string; Layers: string[]; Labels: Record<string, string> };
    assert.equal(info.Digest, pushed);
    assert.equal(info.Labels["berth.test"], "layered");
    assert.equal(info.Layers.length, 2);
    // the base layer went up unchanged (buildah reuses the compressed blob it pulled)
    assert.equal(info.Layers[0], base.layerDigests[0]);
    const served = await fetchManifest(url, "ns/buildah", "layered");
    assert.equal(served.contentType, MEDIA_TYPES.ociManifest);
    assert.equal(served.digest, pushed);
  });

  await t.test("rmi, pull back and run", async () => {
    await buildah("rm", "--all");
    await buildah("rmi", "--all", "--force");
    await buildah("pull", "--tls-verify=false", `${host}/ns/buildah:layered`);
    const ctr = await buildah("from", `${host}/ns/buildah:layered`);
    assert.equal(await buildah("run", "--network", "none", ctr, "--", "cat", "/built.txt"), "built");
    await buildah("pull", "--tls-verify=false", `${host}/ns/buildah:scratch`);
    const scratchCtr = await buildah("from", `${host}/ns/buildah:scratch`);
    assert.equal(await buildah("run", "--network", "none", scratchCtr, "--", "/bin/busybox", "cat", "/hello.txt"), "hello from buildah");
  });
});
