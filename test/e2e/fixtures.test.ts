// The image fixtures themselves, checked without Berth: when a client test fails, this file says
// whether the image it pushed was sound in the first place.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { needTools } from "../helpers/tools.js";
import { containersEnv, makeScratch, removeScratch, run } from "../fixtures/clients.js";
import { buildBusyboxLayout, buildRandomLayout, ociArchitecture, sha256, tar } from "../fixtures/oci-layout.js";

test("ustar writer output reads back with GNU tar", async (t) => {
  if (!needTools(t, "tar")) return;
  const scratch = await makeScratch();
  t.after(() => removeScratch(scratch));
  const longName = `${"deep/".repeat(25)}file.txt`; // over 100 bytes: needs the ustar prefix field
  const archive = tar([
    { type: "dir", path: "bin" },
    { type: "file", path: "bin/tool", content: Buffer.from("#!/bin/sh\n"), mode: 0o755 },
    { type: "symlink", path: "bin/alias", target: "tool" },
    { type: "file", path: longName, content: Buffer.alloc(1000, 7) },
  ]);
  assert.equal(archive.length % 512, 0);
  const file = join(scratch, "a.tar");
  await writeFile(file, archive);
  const { stdout } = await run("tar", ["-tvf", file]);
  const lines = stdout.trim().split("\n");
  assert.match(lines[0]!, /^drwxr-xr-x root\/root +0 .* bin\/$/);
  assert.match(lines[1]!, /^-rwxr-xr-x root\/root +10 .* bin\/tool$/);
  assert.match(lines[2]!, /^lrwxrwxrwx root\/root +0 .* bin\/alias -> tool$/);
  assert.ok(lines[3]!.endsWith(` ${longName}`), lines[3]);
  await run("tar", ["-xf", file, "-C", scratch]);
});

test("busybox layout is a valid, reproducible OCI image", async (t) => {
  if (!needTools(t, "skopeo")) return;
  const scratch = await makeScratch();
  t.after(() => removeScratch(scratch));
  const c = await containersEnv(scratch);
  const layout = join(scratch, "layout");
  const image = await buildBusyboxLayout(layout, { tag: "v1" });
  const again = await buildBusyboxLayout(join(scratch, "again"), { tag: "v1" });
  assert.equal(again.manifestDigest, image.manifestDigest);
  const other = await buildBusyboxLayout(layout, { tag: "v2", extraFile: { path: "etc/id", content: "2" } });
  assert.notEqual(other.manifestDigest, image.manifestDigest);
  const random = await buildRandomLayout(layout, { tag: "r", layers: 2, architecture: "arm64" });

  const raw = await c.run("skopeo", ["inspect", "--raw", `oci:${layout}:v1`]);
  assert.equal(sha256(raw.stdout), image.manifestDigest);
  const { stdout } = await c.run("skopeo", ["inspect", `oci:${layout}:v2`]);
  const info = JSON.parse(stdout) as { Digest: string; Architecture: string; Layers: string[] };
  assert.equal(info.Digest, other.manifestDigest);
  assert.equal(info.Architecture, ociArchitecture());
  assert.deepEqual(info.Layers, other.layerDigests);
  const randomInfo = JSON.parse((await c.run("skopeo", ["inspect", `oci:${layout}:r`])).stdout) as { Architecture: string; Layers: string[] };
  assert.equal(randomInfo.Architecture, "arm64");
  assert.deepEqual(randomInfo.Layers, random.layerDigests);
  // copying verifies every blob against its digest and every layer against its diff_id
  await c.run("skopeo", ["copy", `oci:${layout}:v1`, `dir:${join(scratch, "copy")}`]);
});
