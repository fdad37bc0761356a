// Immutable tags with a real client: skopeo's push that would move a tag is refused with the
// registry's message on its stderr, the same image may be pushed again, a new tag is fine, and a
// tag cannot be deleted (over /v2 or the admin API) until the repository's tags are mutable again.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { CommandError, containersEnv, makeScratch, removeScratch } from "../fixtures/clients.js";
import { pushLayout } from "../fixtures/distribution.js";
import { buildRandomLayout } from "../fixtures/oci-layout.js";
import { BERTH_MAIN } from "../helpers/registry.js";
import { needTools } from "../helpers/tools.js";
import { expectStatus } from "../iam/support.js";
import { startTenant, v2 } from "./support.js";

test("immutable tags: skopeo cannot move one, sees why; re-pushing the same image and new tags work", { timeout: 180_000 }, async (t) => {
  if (!needTools(t, "skopeo")) return;
  const scratch = await makeScratch();
  const tenant = await startTenant();
  t.after(async () => {
    await tenant.registry.close();
    await removeScratch(scratch);
  });
  const c = await containersEnv(scratch);
  const token = Buffer.from(tenant.auth.slice("Basic ".length), "base64").toString().split(":")[1]!;
  const creds = ["--dest-creds", `acme/boss:${token}`];
  const host = tenant.registry.host;
  const first = await buildRandomLayout(join(scratch, "first"), { tag: "v1", layers: 1, layerSize: 4096 });
  const second = await buildRandomLayout(join(scratch, "second"), { tag: "v1", layers: 1, layerSize: 4096 });
  await pushLayout(c, first.dir, "v1", `${host}/acme/app:v1`, creds);

  /** `berth …` offline on the registry's data directory, as its operator would run it. */
  const berth = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [BERTH_MAIN, ...args, "--offline", "--root", tenant.registry.root], { env: { ...process.env, ...tenant.registry.metadataEnv, BERTH_AUTH_ENABLED: "true" } }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  const updated = await berth(["repo", "update", "--name", "acme/app", "--immutable-tags", "--output", "json"]);
  assert.equal(updated.code, 0, updated.stderr);
  assert.equal(JSON.parse(updated.stdout).data.immutableTags, true);

  let refused: unknown;
  try {
    await pushLayout(c, second.dir, "v1", `${host}/acme/app:v1`, creds);
  } catch (err) {
    refused = err;
  }
  assert.ok(refused instanceof CommandError, "moving v1 must fail");
  assert.match(`${refused.stderr}${refused.stdout}`, /tag v1 of acme\/app is immutable; push a new tag/);
  const tagged = await v2(tenant, "HEAD", "acme/app/manifests/v1", undefined, { Accept: "application/vnd.oci.image.manifest.v1+json" });
  assert.equal(tagged.headers.get("docker-content-digest"), first.manifestDigest, "v1 still names the first image");

  await pushLayout(c, first.dir, "v1", `${host}/acme/app:v1`, creds); // the same image again
  await pushLayout(c, second.dir, "v1", `${host}/acme/app:v2`, creds); // a new tag

  const viaV2 = await v2(tenant, "DELETE", "acme/app/manifests/v1");
  assert.equal(viaV2.status, 403);
  assert.match(JSON.parse(viaV2.text).errors[0].message, /tag v1 of acme\/app is immutable and cannot be deleted/);
  const viaImage = await v2(tenant, "DELETE", `acme/app/manifests/${first.manifestDigest}`);
  assert.equal(viaImage.status, 403, "deleting the image would delete its tag");
  const viaApi = await tenant.admin.delete("/repositories/acme%2Fapp/tags/v1");
  assert.equal(viaApi.status, 403);
  assert.equal(viaApi.body.errors[0].code, "DENIED");

  const mutable = await berth(["repo", "update", "--name", "acme/app", "--mutable-tags", "--output", "json"]);
  assert.equal(mutable.code, 0, mutable.stderr);
  await pushLayout(c, second.dir, "v1", `${host}/acme/app:v1`, creds);
  expectStatus(await tenant.admin.delete("/repositories/acme%2Fapp/tags/v2"), 204, "a mutable tag goes");
  const audit = (await tenant.admin.get("/tenancies/acme/audit?limit=100")).body.data as { action: string; detail: string | null }[];
  assert.ok(audit.some((e) => e.action === "UpdateContainerRepository" && e.detail === "immutable tags"), "the change is audited");
});
