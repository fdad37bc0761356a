// AdminApi.dispatch, the in-process door the offline CLI uses (contract §2): the same routing,
// decision, validation and envelope as over HTTP, on a real SQLite database, no server.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AdminApi } from "../../src/api/admin-api.js";
import { loadConfig } from "../../src/config/config.js";
import { ANONYMOUS, LOCAL_OPERATOR, userPrincipal } from "../../src/iam/principal.js";
import { assemble, type App } from "../../src/server/assemble.js";
import { createLogger } from "../../src/server/logger.js";
import { unknownKeywords } from "../helpers/json-schema.js";
import { checkAgainstDocument } from "../helpers/openapi-check.js";

describe("AdminApi.dispatch: the admin API in-process", () => {
  let root: string;
  let app: App;
  let adminApi: AdminApi;
  let document: Record<string, any>;

  /** Dispatches and checks the answer against the OpenAPI document, as the HTTP tests do. */
  const dispatch = async (principal: Parameters<AdminApi["dispatch"]>[0], call: Parameters<AdminApi["dispatch"]>[1]) => {
    const answer = await adminApi.dispatch(principal, call);
    const path = call.path.startsWith("/api/v1") ? call.path : `/api/v1${call.path}`;
    assert.deepEqual(checkAgainstDocument(document, { method: call.method.toUpperCase(), path, status: answer.status, body: answer.body }), []);
    return answer;
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "berth-dispatch-"));
    const config = loadConfig({ env: { BERTH_AUTH_ENABLED: "true" }, flags: { "storage.filesystem.rootdirectory": root } });
    app = await assemble(config, createLogger("silent"));
    adminApi = new AdminApi(app.admin);
    document = (await adminApi.dispatch(ANONYMOUS, { method: "GET", path: "/openapi.json" })).body as Record<string, any>;
  });

  after(async () => {
    await app?.close();
    await rm(root, { recursive: true, force: true });
  });

  it("serves an OpenAPI document whose schemas the tests' validator fully understands", () => {
    assert.equal(document.openapi, "3.1.0");
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
      for (const [method, operation] of Object.entries(item)) {
        const what = `${method} ${path}`;
        assert.ok(!ids.has(operation.operationId), `${what}: operationId unique`);
        ids.add(operation.operationId);
        const declared = (operation.parameters ?? []).filter((p: any) => p.in === "path").map((p: any) => p.name);
        assert.deepEqual(declared, [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]), `${what}: path parameters`);
        assert.ok(Object.keys(operation.responses).some((s) => s.startsWith("2")), `${what}: a success`);
        for (const response of Object.values(operation.responses as Record<string, any>)) {
          const schema = response.content?.["application/json"]?.schema;
          if (schema) assert.deepEqual(unknownKeywords(schema), [], `${what}: keywords the validator checks`);
        }
      }
    }
    assert.deepEqual(unknownKeywords(document.components.schemas.Error), []);
  });

  it("the check against the document refuses what it does not describe", () => {
    const check = (status: number, body: unknown, path = "/api/v1/tenancies/acme", method = "GET") => checkAgainstDocument(document, { method, path, status, body });
    const tenancy = { namespace: "acme", description: "", repositoryLimit: 500, storageQuota: null, createdAt: "2026-12-06T22:00:14.123Z" };
    assert.deepEqual(check(200, { data: tenancy }), []);
    assert.notDeepEqual(check(200, tenancy), [], "no envelope");
    assert.notDeepEqual(check(200, { data: { ...tenancy, createdAt: 1796594414123 } }), [], "epoch milliseconds");
    assert.notDeepEqual(check(200, { data: { ...tenancy, secret: "x" } }), [], "an undescribed field");
    assert.notDeepEqual(check(418, { errors: [{ code: "X", message: "y" }] }), [], "an undescribed status");
    assert.notDeepEqual(check(204, undefined, "/api/v1/tenancies/acme", "PUT"), [], "an undescribed method");
    assert.notDeepEqual(check(404, { error: { kind: "not-found" } }), [], "the old error shape");
  });

  it("creates and lists as the local operator, with the HTTP envelope and ISO times", async () => {
    const created = await dispatch(LOCAL_OPERATOR, { method: "POST", path: "/tenancies", body: { namespace: "acme", adminUser: "boss" } });
    assert.equal(created.status, 201);
    const data = (created.body as any).data;
    assert.equal(data.tenancy.namespace, "acme");
    assert.match(data.tenancy.createdAt, /Z$/);
    assert.equal(typeof data.token, "string");
    assert.equal((await dispatch(LOCAL_OPERATOR, { method: "POST", path: "/tenancies", body: { namespace: "beta" } })).status, 201);
    const listed = await dispatch(LOCAL_OPERATOR, { method: "GET", path: "/api/v1/tenancies", query: { limit: "1" } });
    assert.equal(listed.status, 200);
    assert.equal((listed.body as any).data.length, 1);
    assert.equal(typeof (listed.body as any).next, "string", "pages as over HTTP");
    const who = await dispatch(LOCAL_OPERATOR, { method: "get", path: "/whoami" });
    assert.deepEqual(who.body, { data: { kind: "local", name: "local-operator" } });
    const removed = await dispatch(LOCAL_OPERATOR, { method: "POST", path: "/tenancies/acme/users", body: { name: "dev" } });
    assert.equal(removed.status, 201);
    const gone = await dispatch(LOCAL_OPERATOR, { method: "DELETE", path: "/tenancies/acme/users/dev" });
    assert.deepEqual(gone, { status: 204, body: undefined });
  });

  it("validates, decides and fails with the same envelope", async () => {
    const invalid = await dispatch(LOCAL_OPERATOR, { method: "POST", path: "/tenancies/acme/users", body: { name: 7 } });
    assert.equal(invalid.status, 400);
    assert.equal((invalid.body as any).errors[0].code, "INVALID");
    const anonymous = await dispatch(ANONYMOUS, { method: "GET", path: "/tenancies" });
    assert.equal(anonymous.status, 401);
    assert.equal((anonymous.body as any).errors[0].code, "UNAUTHORIZED");
    const boss = await app.iam.getUser("acme", "boss");
    const principal = userPrincipal(boss!, await app.iam.groupsOfUser(boss!.id));
    const denied = await dispatch(principal, { method: "POST", path: "/tenancies", body: { namespace: "other" } });
    assert.equal(denied.status, 403);
    assert.equal((denied.body as any).errors[0].code, "DENIED");
    const missing = await dispatch(LOCAL_OPERATOR, { method: "GET", path: "/tenancies/none" });
    assert.equal((missing.body as any).errors[0].code, "NOT_FOUND");
    const method = await dispatch(LOCAL_OPERATOR, { method: "PUT", path: "/tenancies" });
    assert.equal(method.status, 405);
  });

  it("refuses tag and image deletes with 405 UNSUPPORTED when storage.delete.enabled is false", async () => {
    const config = loadConfig({ env: { BERTH_AUTH_ENABLED: "true" }, flags: { "storage.filesystem.rootdirectory": root, "storage.delete.enabled": "false" } });
    const strict = await assemble(config, createLogger("silent"));
    try {
      const noDeletes = new AdminApi(strict.admin);
      for (const path of ["/repositories/acme%2Fapp/tags/v1", `/repositories/acme%2Fapp/images/sha256:${"0".repeat(64)}`]) {
        const answer = await noDeletes.dispatch(LOCAL_OPERATOR, { method: "DELETE", path });
        assert.equal(answer.status, 405, path);
        assert.equal((answer.body as any).errors[0].code, "UNSUPPORTED");
        assert.match((answer.body as any).errors[0].message, /deletes are disabled/);
      }
    } finally {
      await strict.close();
    }
  });
});
