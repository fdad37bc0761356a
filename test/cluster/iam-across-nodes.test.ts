// A change to who may do what, made on one node, applies on another node from that node's very
// next request: two separately started `berth serve` nodes on one metadata database, each having
// just served the user from its caches when the other one makes the change.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { sharedMetadata, type SharedMetadata } from "./cluster.js";
import { api, basic, expectStatus, OPERATOR, rawCall } from "../iam/support.js";

describe("IAM changes across nodes", () => {
  let scratch: string;
  const nodes: RunningRegistry[] = [];
  let metadata: SharedMetadata;
  let onA: ReturnType<typeof api>;
  const operatorToken = randomBytes(18).toString("base64url");

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), "berth-iam-nodes-"));
    const env = { BERTH_AUTH_ENABLED: "true", BERTH_AUTH_OPERATOR_TOKEN: operatorToken, BERTH_HTTP_WORKERS: "1" };
    // One database for both (PostgreSQL when the tests have one, else a shared SQLite file), separate roots.
    metadata = await sharedMetadata(scratch);
    const shared = { ...env, ...metadata.env };
    nodes.push(await startRegistry({ root: join(scratch, "a"), env: shared }));
    nodes.push(await startRegistry({ root: join(scratch, "b"), env: shared }));
    const corp = await api(nodes[0]!, OPERATOR, operatorToken).post("/tenancies", { namespace: "corp", adminUser: "boss" });
    expectStatus(corp, 201, "tenancy");
    onA = api(nodes[0]!, "corp/boss", corp.body.data.token);
    expectStatus(await onA.post("/tenancies/corp/users", { name: "dev" }), 201, "user");
    expectStatus(await onA.post("/tenancies/corp/groups", { name: "DEV" }), 201, "group");
    expectStatus(await onA.post("/tenancies/corp/groups/DEV/members", { user: "dev" }), 204, "member");
    expectStatus(await onA.post("/tenancies/corp/policies", { name: "Dev", statements: ["Allow group DEV to manage repos in tenancy"] }), 201, "policy");
  });
  after(async () => {
    for (const node of nodes) await node.close();
    await metadata?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  /** Starts an upload (the first step of a push) on node B as `auth`: 202 when allowed. */
  const pushOnB = async (auth: string) =>
    (await rawCall(`${nodes[1]!.url}/v2/corp/app/blobs/uploads/`, { method: "POST", headers: { Authorization: auth } })).status;

  it("a policy narrowed on node A: node B refuses the next push", async () => {
    const auth = basic("corp/dev", (await onA.post("/tenancies/corp/users/dev/auth-tokens", {})).body.data.token);
    assert.equal(await pushOnB(auth), 202);
    assert.equal(await pushOnB(auth), 202);
    expectStatus(await onA.patch("/tenancies/corp/policies/Dev", { statements: ["Allow group DEV to read repos in tenancy"] }), 200, "narrow");
    assert.equal(await pushOnB(auth), 403);
    expectStatus(await onA.patch("/tenancies/corp/policies/Dev", { statements: ["Allow group DEV to manage repos in tenancy"] }), 200, "widen");
    assert.equal(await pushOnB(auth), 202);
  });

  it("an auth token deleted on node A: node B refuses it on the next request", async () => {
    const created = await onA.post("/tenancies/corp/users/dev/auth-tokens", {});
    const auth = basic("corp/dev", created.body.data.token);
    assert.equal(await pushOnB(auth), 202);
    expectStatus(await onA.delete(`/tenancies/corp/users/dev/auth-tokens/${created.body.data.record.id}`), 204, "delete token");
    assert.equal(await pushOnB(auth), 401);
  });
});
