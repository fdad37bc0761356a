// An upload cut off by a crash: `kill -9` of `berth serve` in the middle of a PATCH body, then a
// new `berth serve` on the same data directory. The client's retry must go on from the Range the
// session reports at once, not wait for the dead process's lease to run out.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { request, type ClientRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const octet = { "Content-Type": "application/octet-stream" };

let root: string | undefined;
const registries: RunningRegistry[] = [];
const stalled: ClientRequest[] = [];

after(async () => {
  for (const req of stalled) req.destroy();
  for (const registry of registries) await registry.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function serve(dataRoot: string): Promise<RunningRegistry> {
  const registry = await startRegistry({ root: dataRoot, args: ["--workers", "1"] });
  registries.push(registry);
  return registry;
}

async function openSession(registry: RunningRegistry, repo: string): Promise<string> {
  const res = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  assert.equal(res.status, 202);
  return res.headers.get("location")!;
}

/** Sends the first `sent` bytes of a PATCH announcing all of `blob`, then stalls. */
function stallingPatch(registry: RunningRegistry, location: string, blob: Buffer, sent: number): void {
  const req = request(new URL(location, registry.url), {
    method: "PATCH",
    headers: { ...octet, "Content-Length": blob.length, "Content-Range": `0-${blob.length - 1}` },
  });
  req.on("error", () => undefined);
  req.write(blob.subarray(0, sent));
  stalled.push(req);
}

/** Waits (bounded) until the upload's file holds at least `bytes`. */
async function untilWritten(dataRoot: string, location: string, bytes: number): Promise<void> {
  const path = join(dataRoot, "uploads", location.split("/").pop()!.split("?")[0]!);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const size = (await stat(path).catch(() => undefined))?.size ?? 0;
    if (size >= bytes) return;
    assert.ok(Date.now() < deadline, `the upload holds ${size} bytes after 10 s, expected ${bytes}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SIGKILL to a process and every process below it, all at once; resolves once it has exited. */
async function killTree(registry: RunningRegistry): Promise<void> {
  const pids = [registry.process.pid!];
  for (let i = 0; i < pids.length; i++) pids.push(...(await childrenOf(pids[i]!)));
  const exited = new Promise((resolve) => registry.process.once("exit", resolve));
  for (const pid of pids) process.kill(pid, "SIGKILL");
  await exited;
  // Nothing left to close (its close() would wait for an exit that already happened).
  registries.splice(registries.indexOf(registry), 1);
}

async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, "utf8").catch(() => "");
  return text.split(" ").filter(Boolean).map(Number);
}

describe("an upload cut off by kill -9", () => {
  it("is resumed at once by a new server on the same data directory, by PATCH or by PUT", { timeout: 60_000 }, async () => {
    root = await mkdtemp(join(tmpdir(), "berth-crash-"));
    const first = await serve(root);
    const patched = randomBytes(4 * MiB + 123);
    const put = randomBytes(3 * MiB + 45);
    const patchLocation = await openSession(first, "crash/app");
    const putLocation = await openSession(first, "crash/app");
    stallingPatch(first, patchLocation, patched, Math.floor(2.5 * MiB));
    stallingPatch(first, putLocation, put, 2 * MiB + 7);
    await untilWritten(root, patchLocation, MiB);
    await untilWritten(root, putLocation, MiB);
    await killTree(first);

    const second = await serve(root);
    const resumeFrom = async (location: string) => {
      const status = await fetch(new URL(location, second.url), { method: "GET" });
      assert.equal(status.status, 204);
      const range = /^0-(\d+)$/.exec(status.headers.get("range") ?? "");
      assert.ok(range, `Range: ${status.headers.get("range")}`);
      return Number(range[1]) + 1;
    };

    // The retry goes on from the reported Range with a PATCH, then closes with a PUT.
    const patchedFrom = await resumeFrom(patchLocation);
    assert.ok(patchedFrom >= MiB && patchedFrom < patched.length, `resumes at ${patchedFrom}`);
    const rest = await fetch(new URL(patchLocation, second.url), {
      method: "PATCH",
      headers: { ...octet, "Content-Range": `${patchedFrom}-${patched.length - 1}` },
      body: patched.subarray(patchedFrom),
    });
    assert.equal(rest.status, 202, await rest.text());
    assert.equal(rest.headers.get("range"), `0-${patched.length - 1}`);
    const closed = await fetch(new URL(`${rest.headers.get("location")!}?digest=${sha256(patched)}`, second.url), { method: "PUT" });
    assert.equal(closed.status, 201, await closed.text());

    // The other retry sends the rest in the closing PUT.
    const putFrom = await resumeFrom(putLocation);
    const sep = putLocation.includes("?") ? "&" : "?";
    const done = await fetch(new URL(`${putLocation}${sep}digest=${sha256(put)}`, second.url), {
      method: "PUT",
      headers: octet,
      body: put.subarray(putFrom),
    });
    assert.equal(done.status, 201, await done.text());

    for (const blob of [patched, put]) {
      const got = await fetch(`${second.url}/v2/crash/app/blobs/${sha256(blob)}`);
      assert.equal(got.status, 200);
      assert.equal(got.headers.get("docker-content-digest"), sha256(blob));
      assert.ok(Buffer.from(await got.arrayBuffer()).equals(blob), "the stored blob is the pushed bytes");
    }
    assert.match(second.output(), /took over an upload session whose writer had exited/);
  });
});
