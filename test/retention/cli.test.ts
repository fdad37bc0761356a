// `berth retention …` as an operator types it: the real CLI process, offline on a data directory
// (the same admin API requests a server would get), with exit codes and one-line errors.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { BERTH_MAIN } from "../helpers/registry.js";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "berth-retention-cli-"));
});
after(() => rm(root, { recursive: true, force: true }));

function berth(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BERTH_MAIN, ...args], { env: { ...process.env, BERTH_PROFILE: "" } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

it("berth retention: global update, override with repositories, a repository in one override only, preview", async () => {
  assert.equal((await berth("iam", "tenancy", "create", "--root", root, "--namespace", "acme", "-o", "json")).code, 0);
  const global = await berth("retention", "global", "update", "--root", root, "--tenancy", "acme", "--untagged-days", "7", "--exempt-tag", "release-*", "-o", "json");
  assert.equal(global.code, 0, global.stderr);
  assert.deepEqual(JSON.parse(global.stdout).data.rules, { notPulledForDays: null, untaggedForDays: 7, keepNewest: null, exemptTags: ["release-*"] });

  const created = await berth("retention", "policy", "create", "--root", root, "--tenancy", "acme", "--name", "ci", "--keep-newest", "3", "--repo", "acme/ci", "-o", "json");
  assert.equal(created.code, 0, created.stderr);
  assert.deepEqual(JSON.parse(created.stdout).data.repositories, ["acme/ci"]);
  const updated = await berth("retention", "policy", "update", "--root", root, "--tenancy", "acme", "--name", "ci", "--keep-newest", "off", "--not-pulled-days", "90", "-o", "json");
  assert.deepEqual(JSON.parse(updated.stdout).data.rules, { notPulledForDays: 90, untaggedForDays: null, keepNewest: null, exemptTags: [] });

  const taken = await berth("retention", "policy", "create", "--root", root, "--tenancy", "acme", "--name", "other", "--repo", "acme/ci");
  assert.equal(taken.code, 5, "a conflict");
  assert.match(taken.stderr, /^berth: conflict: repository acme\/ci is in retention policy ci already/);
  assert.equal((await berth("retention", "global", "update", "--root", root, "--tenancy", "acme", "--keep-newest", "0")).code, 2, "invalid input");

  assert.equal((await berth("retention", "policy", "add-repo", "--root", root, "--tenancy", "acme", "--name", "ci", "--repo", "acme/tools", "-o", "json")).code, 0);
  const removed = await berth("retention", "policy", "remove-repo", "--root", root, "--tenancy", "acme", "--name", "ci", "--repo", "acme/tools", "-o", "table");
  assert.match(removed.stdout, /removed acme\/tools from retention policy ci/);
  const preview = await berth("retention", "preview", "--root", root, "--tenancy", "acme", "-o", "json");
  assert.deepEqual(JSON.parse(preview.stdout).data.policies.map((p: { name: string; inEffect: boolean }) => [p.name, p.inEffect]), [["global", false], ["ci", false]]);
  const deleted = await berth("retention", "policy", "delete", "--root", root, "--tenancy", "acme", "--name", "ci", "-o", "table");
  assert.match(deleted.stdout, /deleted retention policy ci/);
  assert.equal((await berth("retention", "policy", "get", "--root", root, "--tenancy", "acme", "--name", "ci")).code, 3, "not found");
});

it("berth retention … --help shows an example", async () => {
  const help = await berth("retention", "policy", "create", "--help");
  assert.match(help.stdout, /Example:\n {2}\$ berth retention policy create --tenancy ourtenant --name ci-builds --keep-newest 10 --repo ourtenant\/ci\/app/);
});
