// Removing access takes effect on the very next request in every serving process: two processes
// share the socket, every request below comes on a connection of its own (so both serve them),
// and both have just served the user from their caches when the change is made.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { BERTH_MAIN } from "../helpers/registry.js";
import { api, basic, expectStatus, OPERATOR, pushImage, rawCall, startAuthRegistry, type AuthRegistry } from "./support.js";

const exec = promisify(execFile);
const ROUNDS = 40;

describe("revocation reaches every process on its next request", () => {
  let registry: AuthRegistry;
  let admin: ReturnType<typeof api>;
  let auth: string;

  /** Starts an upload (the first step of a push) as the user: 202 when allowed. */
  const startPush = async () => (await rawCall(`${registry.url}/v2/corp/app/blobs/uploads/`, { method: "POST", headers: { Authorization: auth } })).status;
  const pull = async () => (await rawCall(`${registry.url}/v2/corp/app/manifests/v1`, { headers: { Authorization: auth } })).status;

  /** Every one of `ROUNDS` requests answers one of `statuses`. */
  const expectAll = async (statuses: number | number[], what: string, request = startPush) => {
    const allowed = ([] as number[]).concat(statuses);
    const seen: number[] = [];
    for (let i = 0; i < ROUNDS; i++) seen.push(await request());
    assert.deepEqual(seen.filter((s) => !allowed.includes(s)), [], `${what}: every request answers ${allowed.join(" or ")}`);
  };

  const POLICY = { name: "Dev", statements: ["Allow group DEV to manage repos in tenancy"] };

  /** The user may push again, and both processes have it cached. */
  const grantAndWarm = async () => {
    if ((await admin.get("/tenancies/corp/groups")).body.data.every((g: { name: string }) => g.name !== "DEV")) {
      expectStatus(await admin.post("/tenancies/corp/groups", { name: "DEV" }), 201, "group");
    }
    expectStatus(await admin.post("/tenancies/corp/groups/DEV/members", { user: "dev" }), 204, "member");
    const policies = (await admin.get("/tenancies/corp/policies")).body.data as { name: string }[];
    if (policies.some((p) => p.name === POLICY.name)) expectStatus(await admin.patch(`/tenancies/corp/policies/${POLICY.name}`, { statements: POLICY.statements }), 200, "policy");
    else expectStatus(await admin.post("/tenancies/corp/policies", POLICY), 201, "policy");
    await expectAll(202, "before the change");
  };

  before(async () => {
    registry = await startAuthRegistry({ BERTH_HTTP_WORKERS: "2" });
    const corp = await api(registry, OPERATOR, registry.operatorToken).post("/tenancies", { namespace: "corp", adminUser: "boss" });
    expectStatus(corp, 201, "tenancy");
    admin = api(registry, "corp/boss", corp.body.data.token);
    expectStatus(await admin.post("/tenancies/corp/users", { name: "dev" }), 201, "user");
    const token = await admin.post("/tenancies/corp/users/dev/auth-tokens", {});
    auth = basic("corp/dev", token.body.data.token);
    await grantAndWarm();
    assert.equal(await pushImage(registry, "corp/app", "v1", auth), 201);
  });
  after(() => registry?.close());

  it("removing the user from the group (admin API)", async () => {
    await grantAndWarm();
    expectStatus(await admin.delete("/tenancies/corp/groups/DEV/members/dev"), 204, "remove member");
    await expectAll(403, "after the removal");
  });

  it("removing the user from the group with the offline CLI, another process", async () => {
    await grantAndWarm();
    // The registry's metadata database, whichever it is (metadataEnv names PostgreSQL's).
    await exec(process.execPath, [BERTH_MAIN, "iam", "group", "remove-user", "--offline", "--root", registry.root, "--tenancy", "corp", "--group", "DEV", "--user", "dev"], {
      env: { ...process.env, ...registry.metadataEnv },
    });
    await expectAll(403, "after the CLI's removal");
  });

  it("deleting the group", async () => {
    await grantAndWarm();
    expectStatus(await admin.delete("/tenancies/corp/groups/DEV"), 204, "delete group");
    await expectAll(403, "after the group's deletion");
  });

  it("narrowing the policy: pushes stop, pulls go on", async () => {
    await grantAndWarm();
    expectStatus(await admin.patch(`/tenancies/corp/policies/${POLICY.name}`, { statements: ["Allow group DEV to read repos in tenancy"] }), 200, "update");
    await expectAll(403, "pushes after the update");
    await expectAll(200, "pulls after the update", pull);
  });

  it("deleting the policy", async () => {
    await grantAndWarm();
    expectStatus(await admin.delete(`/tenancies/corp/policies/${POLICY.name}`), 204, "delete policy");
    await expectAll(403, "pushes after the deletion");
    await expectAll(403, "pulls after the deletion", pull);
  });

  it("deleting the user", async () => {
    await grantAndWarm();
    expectStatus(await admin.delete("/tenancies/corp/users/dev"), 204, "delete user");
    // Its credentials now fail like any wrong ones: 401, then 429 once they have failed 10 times.
    await expectAll([401, 429], "after the user's deletion");
  });
});
