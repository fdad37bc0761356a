// Three Berth nodes sharing one metadata database and one bucket (a real RADOS Gateway), behind a
// real haproxy that balances every request on its own: the protocol suite and real clients
// through it, and a node killed -9 in the middle of several pushes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  containersEnv,
  dockerPaths,
  makeScratch,
  removeScratch,
  startContainerd,
  startDockerd,
  type ContainersEnv,
  type Daemon,
  type DockerDaemon,
} from "../fixtures/clients.js";
import { fetchManifest, pushLayout } from "../fixtures/distribution.js";
import { buildBusyboxLayout, buildRandomLayout, type BuiltImage } from "../fixtures/oci-layout.js";
import { SERVED_BY } from "../helpers/haproxy.js";
import { EXTERNAL_REGISTRY } from "../helpers/registry.js";
import { hasTool } from "../helpers/tools.js";
import { Api, expectStatus, randomBytes, sha256 } from "../protocol/support.js";
import { createBucket, gatewayOrSkip, MiB, removeBucket } from "../storage/s3-support.js";
import { killNode, startCluster, type Cluster } from "./cluster.js";
import { until } from "../helpers/until.js";

const PROTOCOL_DIR = fileURLToPath(new URL("../protocol/", import.meta.url));

const { dockerd: dockerdPath, docker: dockerPath } = await dockerPaths();
const missing = [
  ...["haproxy", "skopeo", "podman", "runc", "containerd"].filter((tool) => !hasTool(tool)),
  ...[dockerdPath, dockerPath].filter((path) => !existsSync(path)),
];
if (missing.length > 0 && process.env.CI === "true") throw new Error(`missing tool(s): ${missing.join(", ")} (CI=true: .ci/run must install them)`);
const s3 = missing.length > 0 ? undefined : await gatewayOrSkip();

if (!s3) {
  test("several nodes behind a load balancer", { skip: `missing: ${missing.length > 0 ? missing.join(", ") : "Ceph (radosgw)"}` }, () => {});
} else {
  let bucket: string;
  let cluster: Cluster;
  let lb: Api;
  let scratch: string;
  let c: ContainersEnv;

  before(async () => {
    bucket = await createBucket(s3);
    cluster = await startCluster({ s3, bucket, nodes: 3 });
    lb = new Api(cluster.lb.url);
    scratch = await makeScratch("berth-cluster-e2e-");
    c = await containersEnv(scratch);
  });
  after(async () => {
    await c?.run("podman", ["rm", "--all", "--force"]).catch(() => undefined);
    await cluster?.stop();
    if (scratch) await removeScratch(scratch);
    await removeBucket(s3, bucket).catch(() => undefined);
    await s3.stop();
  });

  /** GETs a blob and checks that its bytes hash to its digest. */
  async function blobIsWhole(base: string, repository: string, digest: string): Promise<void> {
    const res = await fetch(`${base}/v2/${repository}/blobs/${digest}`);
    assert.equal(res.status, 200, `${base}: ${repository}@${digest}`);
    const algorithm = digest.split(":")[0]!;
    const hash = createHash(algorithm);
    for await (const chunk of res.body!) hash.update(chunk as Uint8Array);
    assert.equal(`${algorithm}:${hash.digest("hex")}`, digest, `${base}: ${repository}@${digest} does not hash to its digest`);
  }

  /** Runs a client command again (up to `times`) when it fails, as a CI job or an operator would. */
  async function retrying<T>(times: number, attempt: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        if (i >= times) throw err;
        await new Promise((r) => setTimeout(r, 500 * i));
      }
    }
  }

  describe("several nodes behind a load balancer", { timeout: 600_000 }, () => {
    it("haproxy sends consecutive requests to every node", async () => {
      const servedBy = new Set<string>();
      for (let i = 0; i < 9; i++) {
        const res = await fetch(`${cluster.lb.url}/v2/`);
        assert.equal(res.status, 200);
        servedBy.add(res.headers.get(SERVED_BY) ?? "");
      }
      assert.deepEqual([...servedBy].sort(), ["node1", "node2", "node3"]);
    });

    it("one upload's chunks land on different nodes, and every node serves the blob", async () => {
      const blob = randomBytes(12 * MiB + 7);
      const digest = sha256(blob);
      const servedBy = new Set<string>();
      const post = await lb.post("/v2/cluster/chunked/blobs/uploads/");
      expectStatus(post, 202);
      servedBy.add(post.headers.get(SERVED_BY) ?? "");
      let location = lb.location(post);
      for (let at = 0; at < blob.length; at += 2 * MiB) {
        const chunk = blob.subarray(at, at + 2 * MiB);
        const patch = await lb.patch(location, {
          headers: { "Content-Type": "application/octet-stream", "Content-Range": `${at}-${at + chunk.length - 1}` },
          body: chunk,
        });
        expectStatus(patch, 202, `PATCH at ${at}`);
        servedBy.add(patch.headers.get(SERVED_BY) ?? "");
        location = lb.location(patch);
      }
      expectStatus(await lb.put(location, { query: { digest } }), 201);
      assert.equal(servedBy.size, 3, `the upload went through ${[...servedBy].join(", ")}`);
      for (const node of cluster.nodes) await blobIsWhole(node.url, "cluster/chunked", digest);
    });

    it("the protocol suite passes through the load balancer", async () => {
      // traversal starts its own registry on a data directory it inspects; catalog expects a
      // registry of its own (it lists every repository): both stay out.
      const files = (await readdir(PROTOCOL_DIR)).filter((f) => f.endsWith(".test.js") && !/^(traversal|catalog)\./.test(f));
      const child = spawn(process.execPath, ["--test", "--test-concurrency=1", ...files.map((f) => join(PROTOCOL_DIR, f))], {
        // Without the runner's own marker, or the child would take itself for a nested run and skip.
        env: { ...withoutTestContext(process.env), [EXTERNAL_REGISTRY]: cluster.lb.url },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      const failures = output.split("\n").filter((l) => /^\s*not ok /.test(l));
      assert.equal(code, 0, `protocol suite through the load balancer failed:\n${failures.join("\n")}\n${output.slice(-4000)}`);
      assert.match(output, /# pass [1-9]\d*/);
    });

    it("skopeo and podman push and pull in parallel through the load balancer; podman runs the image", async () => {
      const busybox = join(scratch, "busybox");
      await buildBusyboxLayout(busybox, { tag: "v1", extraFile: { path: "etc/berth-id", content: "cluster\n" } });
      const images: { layout: string; image: BuiltImage; ref: string }[] = [];
      for (let i = 0; i < 3; i++) {
        const layout = join(scratch, `random-${i}`);
        images.push({ layout, image: await buildRandomLayout(layout, { tag: "v1", layers: 3, layerSize: 3 * MiB }), ref: `${cluster.lb.host}/cluster/random-${i}:v1` });
      }
      const podmanRef = `${cluster.lb.host}/cluster/busybox:v1`;
      await Promise.all([
        ...images.map(({ layout, ref }) => pushLayout(c, layout, "v1", ref)),
        (async () => {
          await c.run("podman", ["pull", `oci:${busybox}:v1`]);
          const id = (await c.run("podman", ["images", "--quiet", "--noheading"])).stdout.trim().split("\n")[0]!;
          await c.run("podman", ["tag", id, podmanRef]);
          await c.run("podman", ["push", "--tls-verify=false", podmanRef]);
        })(),
      ]);
      for (const { image, ref } of images) {
        const served = await fetchManifest(cluster.lb.url, ref.split("/").slice(1).join("/").split(":")[0]!, "v1");
        assert.equal(served.digest, image.manifestDigest);
      }
      await c.run("podman", ["rmi", "--all", "--force"]);
      await Promise.all([
        (async () => {
          await c.run("podman", ["pull", "--tls-verify=false", podmanRef]);
          assert.equal((await c.run("podman", ["run", "--rm", podmanRef, "cat", "/etc/berth-id"])).stdout, "cluster\n");
        })(),
        ...images.map(({ layout, ref }, i) =>
          c.run("skopeo", ["copy", "--src-tls-verify=false", `docker://${ref}`, `oci:${join(scratch, `back-${i}`)}:v1`]).then(() => layout),
        ),
      ]);
    });

    it("docker pulls, runs and pushes through the load balancer while skopeo pushes", async () => {
      let containerd: Daemon | undefined;
      let dockerd: DockerDaemon | undefined;
      try {
        containerd = await startContainerd(scratch);
        dockerd = await startDockerd(scratch, containerd.socket);
        const docker = dockerd.docker;
        const busybox = join(scratch, "docker-busybox");
        await buildBusyboxLayout(busybox, { tag: "v1", extraFile: { path: "etc/berth-id", content: "docker\n" } });
        const base = `${cluster.lb.host}/cluster/docker-base:v1`;
        await pushLayout(c, busybox, "v1", base);
        const others = [0, 1].map((i) => join(scratch, `docker-side-${i}`));
        const side = await Promise.all(others.map((dir) => buildRandomLayout(dir, { tag: "v1", layers: 2, layerSize: 2 * MiB })));
        const target = `${cluster.lb.host}/cluster/docker:v1`;
        await Promise.all([
          (async () => {
            await docker(["pull", base]);
            assert.equal((await docker(["run", "--rm", "--network", "none", base, "cat", "/etc/berth-id"])).stdout, "docker\n");
            await docker(["tag", base, target]);
            await docker(["push", target]);
            await docker(["rmi", base, target]);
            await docker(["pull", target]);
            assert.equal((await docker(["run", "--rm", "--network", "none", target, "echo", "hi"])).stdout, "hi\n");
          })(),
          ...others.map((dir, i) => pushLayout(c, dir, "v1", `${cluster.lb.host}/cluster/docker-side-${i}:v1`)),
        ]);
        for (const [i, image] of side.entries()) {
          assert.equal((await fetchManifest(cluster.lb.url, `cluster/docker-side-${i}`, "v1")).digest, image.manifestDigest);
        }
      } finally {
        await dockerd?.stop();
        await containerd?.stop();
      }
    });

    it("a node killed -9 mid-pushes: retrying clients finish, every linked blob is whole, the others serve everything", async () => {
      const victim = cluster.nodes[1]!;
      const layouts: { layout: string; ref: string; image: BuiltImage }[] = [];
      for (let i = 0; i < 3; i++) {
        const layout = join(scratch, `crash-${i}`);
        layouts.push({ layout, ref: `${cluster.lb.host}/crash/skopeo-${i}:v1`, image: await buildRandomLayout(layout, { tag: "v1", layers: 2, layerSize: 8 * MiB }) });
      }
      const httpPushes = [0, 1].map((i) => chunkedPushWithRetries(`crash/http-${i}`, randomBytes(24 * MiB)));
      const skopeoPushes = layouts.map(({ layout, ref }) => retrying(4, () => pushLayout(c, layout, "v1", ref)));
      // Kill once the pushes are under way: the first bytes have reached the nodes.
      await until("pushes under way", async () => ((await openUploadCount(cluster)) >= 2 ? true : undefined), 60_000);
      await killNode(victim);
      // Every push is awaited before any verdict, so none outlives the test.
      const settled = await Promise.allSettled([...httpPushes, ...skopeoPushes]);
      for (const s of settled) if (s.status === "rejected") throw s.reason;
      const pushed = await Promise.all(httpPushes);

      const alive = cluster.nodes.filter((n) => n !== victim);
      for (const { ref, image } of layouts) {
        const repository = ref.split("/").slice(1).join("/").split(":")[0]!;
        for (const node of alive) assert.equal((await fetchManifest(node.url, repository, "v1")).digest, image.manifestDigest);
      }
      for (const { repository, digest } of pushed) for (const node of alive) await blobIsWhole(node.url, repository, digest);
      // Everything the database says is linked hashes to its digest, and no manifest pushed by
      // clients references a blob that is not linked (the protocol suite deletes such blobs on purpose).
      const { links, references } = await readMetadata(cluster);
      assert.ok(links.length >= 8, `${links.length} links`);
      for (const { repository, digest } of links) await blobIsWhole(cluster.lb.url, repository, digest);
      const linked = new Set(links.map((l) => `${l.repository}@${l.digest}`));
      for (const ref of references.filter((r) => /^(crash|cluster)\//.test(r))) assert.ok(linked.has(ref), `a manifest references ${ref}, which is not linked`);
      for (const { repository, digest } of links.slice(0, 20)) for (const node of alive) await blobIsWhole(node.url, repository, digest);
    });
  });

  /** A chunked push (4 MiB PATCHes) that starts over from the server's offset when a request fails. */
  async function chunkedPushWithRetries(repository: string, blob: Buffer): Promise<{ repository: string; digest: string }> {
    const digest = sha256(blob);
    let location: string | undefined;
    for (let failures = 0; ; ) {
      try {
        if (!location) {
          const post = await lb.post(`/v2/${repository}/blobs/uploads/`);
          expectStatus(post, 202);
          location = lb.location(post);
        }
        // Where the session stands now, whichever node answers (a failed PATCH may or may not have landed).
        const status = await lb.get(location);
        if (status.status === 404) {
          location = undefined;
          throw new Error("upload session lost");
        }
        expectStatus(status, 204);
        // Chunks are 4 MiB, so "0-0" can only mean an empty session here.
        const end = Number((status.headers.get("range") ?? "0-0").split("-")[1]);
        let at = end === 0 ? 0 : end + 1;
        while (at < blob.length) {
          const chunk = blob.subarray(at, at + 4 * MiB);
          const patch = await lb.patch(location, {
            headers: { "Content-Type": "application/octet-stream", "Content-Range": `${at}-${at + chunk.length - 1}` },
            body: chunk,
          });
          expectStatus(patch, 202, `PATCH at ${at}`);
          location = lb.location(patch);
          at += chunk.length;
        }
        expectStatus(await lb.put(location, { query: { digest } }), 201);
        return { repository, digest };
      } catch (err) {
        // Back off as a client would: the load balancer takes up to a second to see a node is gone.
        if (++failures > 8) throw err;
        await new Promise((r) => setTimeout(r, 200 * failures));
      }
    }
  }
}

function withoutTestContext(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _, ...rest } = env;
  return rest;
}

async function openUploadCount(cluster: Cluster): Promise<number> {
  const [row] = await cluster.metadata.query<{ n: number | string }>("select count(*) as n from uploads where size > 0");
  return Number(row?.n ?? 0);
}

async function readMetadata(cluster: Cluster): Promise<{ links: { repository: string; digest: string }[]; references: string[] }> {
  const links = await cluster.metadata.query<{ repository: string; digest: string }>("select repository, digest from repo_blobs order by repository, digest");
  const references: string[] = [];
  for (const m of await cluster.metadata.query<{ repository: string; content: Uint8Array }>("select repository, content from manifests")) {
    const json = JSON.parse(Buffer.from(m.content).toString()) as { config?: { digest: string }; layers?: { digest: string }[] };
    for (const d of [json.config, ...(json.layers ?? [])]) if (d) references.push(`${m.repository}@${d.digest}`);
  }
  return { links, references };
}

