// What a refused user sees in real clients: skopeo and podman follow the token challenge, get a
// token without push, are refused with 403 DENIED, and print the registry's reason — not a login
// problem.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { CommandError, containersEnv, makeScratch, removeScratch, type RunResult } from "../fixtures/clients.js";
import { buildBusyboxLayout } from "../fixtures/oci-layout.js";
import { needTools } from "../helpers/tools.js";
import { api, expectStatus, OPERATOR, startAuthRegistry, type AuthRegistry } from "../iam/support.js";

const REASON = "you may read acme/app but not push to it";

async function failure(what: string, command: Promise<RunResult>): Promise<string> {
  try {
    await command;
  } catch (error) {
    assert.ok(error instanceof CommandError, `${what}: ${String(error)}`);
    return `${error.stderr}\n${error.stdout}`;
  }
  assert.fail(`${what}: expected the command to fail`);
}

test("a denied push shows the registry's reason in skopeo and podman", { timeout: 300_000 }, async (t) => {
  if (!needTools(t, "podman", "skopeo")) return;
  const scratch = await makeScratch();
  let registry: AuthRegistry | undefined;
  t.after(async () => {
    await registry?.close();
    await removeScratch(scratch);
  });
  registry = await startAuthRegistry();
  const operator = api(registry, OPERATOR, registry.operatorToken);
  const created = await operator.post("/tenancies", { namespace: "acme", adminUser: "boss" });
  expectStatus(created, 201, "tenancy");
  const boss = api(registry, "acme/boss", created.body.data.token);
  expectStatus(await boss.post("/tenancies/acme/groups", { name: "READERS" }), 201, "group");
  expectStatus(await boss.post("/tenancies/acme/users", { name: "reader" }), 201, "user");
  expectStatus(await boss.post("/tenancies/acme/groups/READERS/members", { user: "reader" }), 204, "member");
  expectStatus(await boss.post("/tenancies/acme/policies", { name: "Read", statements: ["Allow group READERS to read repos in tenancy"] }), 201, "policy");
  const issued = await boss.post("/tenancies/acme/users/reader/auth-tokens", {});
  expectStatus(issued, 201, "token");
  const creds = `acme/reader:${issued.body.data.token}`;

  const c = await containersEnv(scratch);
  const layout = join(scratch, "layout");
  await buildBusyboxLayout(layout, { tag: "v1" });
  const target = `${registry.host}/acme/app:v1`;

  const skopeo = await failure("skopeo copy", c.run("skopeo", ["copy", "--dest-tls-verify=false", "--dest-creds", creds, `oci:${layout}:v1`, `docker://${target}`]));
  assert.ok(skopeo.includes(REASON), `skopeo does not show the reason:\n${skopeo}`);
  assert.doesNotMatch(skopeo, /authentication required/);

  await c.run("podman", ["pull", `oci:${layout}:v1`]);
  const { stdout } = await c.run("podman", ["images", "--quiet", "--noheading"]);
  const podman = await failure(
    "podman push",
    c.run("podman", ["push", "--tls-verify=false", "--creds", creds, stdout.trim().split("\n")[0]!, `docker://${target}`]),
  );
  assert.ok(podman.includes(REASON), `podman does not show the reason:\n${podman}`);
});
