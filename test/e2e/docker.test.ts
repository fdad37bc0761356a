// Docker against a real Berth: a private dockerd (unpacked from Debian's docker.io by
// .ci/install.sh, started here on top of our own containerd) pulls, runs, builds and pushes.
// Docker treats 127.0.0.0/8 registries as insecure, so plain HTTP needs no daemon option.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { needTools } from "../helpers/tools.js";
import {
  containersEnv,
  dockerPaths,
  makeScratch,
  needFiles,
  removeScratch,
  startContainerd,
  startDockerd,
  type Daemon,
  type DockerDaemon,
} from "../fixtures/clients.js";
import { fetchManifest, pushLayout, rawManifest } from "../fixtures/distribution.js";
import { MEDIA_TYPES, buildBusyboxLayout } from "../fixtures/oci-layout.js";

test("Docker against Berth", { timeout: 300_000 }, async (t) => {
  if (!needTools(t, "containerd", "runc", "skopeo")) return;
  const { dockerd: dockerdPath, docker: dockerPath } = await dockerPaths();
  if (!(await needFiles(t, dockerdPath, dockerPath))) return;
  const scratch = await makeScratch();
  let registry: RunningRegistry | undefined;
  let containerd: Daemon | undefined;
  let dockerd: DockerDaemon | undefined;
  t.after(async () => {
    // dockerd first: it stops its containers through containerd
    await dockerd?.stop();
    await containerd?.stop();
    await registry?.close();
    await removeScratch(scratch);
  });
  registry = await startRegistry();
  const { host, url } = registry;
  containerd = await startContainerd(scratch);
  dockerd = await startDockerd(scratch, containerd.socket);
  const docker = dockerd.docker;
  const c = await containersEnv(scratch);
  const layout = join(scratch, "layout");
  const image = await buildBusyboxLayout(layout, { tag: "v1", extraFile: { path: "etc/berth-id", content: "docker\n" } });
  await pushLayout(c, layout, "v1", `${host}/ns/app:v1`);
  const app = `${host}/ns/app:v1`;

  await t.test("pull records the registry's digest", async () => {
    await docker(["pull", app]);
    const { stdout } = await docker(["image", "inspect", "--format", "{{json .RepoDigests}}", app]);
    assert.deepEqual(JSON.parse(stdout), [`${host}/ns/app@${image.manifestDigest}`]);
  });

  await t.test("run the pulled image", async () => {
    const hi = await docker(["run", "--rm", "--network", "none", app, "echo", "hi"]);
    assert.equal(hi.stdout, "hi\n");
    const id = await docker(["run", "--rm", "--network", "none", app, "cat", "/etc/berth-id"]);
    assert.equal(id.stdout, "docker\n");
  });

  let pushedDigest = "";
  await t.test("tag and push to another repository (as Docker schema 2)", async () => {
    const target = `${host}/ns/docker:v1`;
    await docker(["tag", app, target]);
    const { stdout } = await docker(["push", target]);
    const m = /digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(stdout);
    assert.ok(m, `no digest in docker push output:\n${stdout}`);
    pushedDigest = m[1]!;
    const raw = await rawManifest(c, target);
    assert.equal(raw.digest, pushedDigest);
    assert.equal(raw.json.mediaType, MEDIA_TYPES.dockerManifest);
    // the layer bytes are the ones pulled: Docker re-pushes (or mounts) the same compressed blob
    assert.deepEqual(raw.json.layers?.map((l) => l.digest), image.layerDigests);
    const served = await fetchManifest(url, "ns/docker", "v1");
    assert.equal(served.status, 200);
    assert.equal(served.digest, pushedDigest);
    assert.equal(served.contentType, MEDIA_TYPES.dockerManifest);
  });

  await t.test("rmi and pull the pushed image back", async () => {
    await docker(["rmi", `${host}/ns/docker:v1`, app]);
    await docker(["pull", `${host}/ns/docker:v1`]);
    const { stdout } = await docker(["image", "inspect", "--format", "{{json .RepoDigests}}", `${host}/ns/docker:v1`]);
    assert.deepEqual(JSON.parse(stdout), [`${host}/ns/docker@${pushedDigest}`]);
    const hi = await docker(["run", "--rm", "--network", "none", `${host}/ns/docker:v1`, "echo", "hi"]);
    assert.equal(hi.stdout, "hi\n");
  });

  await t.test("build on a base from Berth and push the new layer", async () => {
    const context = join(scratch, "build");
    await mkdir(context, { recursive: true });
    await writeFile(join(context, "Dockerfile"), `FROM ${host}/ns/docker:v1\nRUN echo built > /built.txt\nCMD ["cat", "/built.txt"]\n`);
    const built = `${host}/ns/built:v1`;
    // the classic builder: Debian's docker.io ships no buildx plugin
    await docker(["build", "--network", "none", "--tag", built, context], { env: { DOCKER_BUILDKIT: "0" } });
    await docker(["push", built]);
    await docker(["rmi", built]);
    await docker(["pull", built]);
    const { stdout } = await docker(["run", "--rm", "--network", "none", built]);
    assert.equal(stdout, "built\n");
    const raw = await rawManifest(c, built);
    assert.equal(raw.json.layers?.length, 2);
    assert.equal(raw.json.layers?.[0]?.digest, image.layerDigests[0]);
  });
});
