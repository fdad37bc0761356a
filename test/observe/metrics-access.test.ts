// Who may read `/metrics` with auth on, the auth failures it counts, and the user in the access log.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, basic, expectStatus, OPERATOR, startAuthRegistry, type AuthRegistry } from "../iam/support.js";
import { accessLine, sample, scrape } from "./support.js";

describe("/metrics with auth on", () => {
  let registry: AuthRegistry;
  let prometheus: string;
  let outsider: string;
  before(async () => {
    registry = await startAuthRegistry({ BERTH_HTTP_WORKERS: "1" });
    const operator = api(registry, OPERATOR, registry.operatorToken);
    // A user of the operator tenancy in no group: it may read metrics and do nothing else.
    expectStatus(await operator.post("/tenancies/berth/users", { name: "prometheus" }), 201, "user");
    const token = await operator.post("/tenancies/berth/users/prometheus/auth-tokens", { description: "scraper" });
    expectStatus(token, 201, "token");
    prometheus = basic("berth/prometheus", token.body.data.token);
    const other = await operator.post("/tenancies", { namespace: "othertenant", adminUser: "boss" });
    expectStatus(other, 201, "tenancy");
    outsider = basic("othertenant/boss", other.body.data.token);
  });
  after(() => registry?.close());

  it("takes a user of the operator tenancy, and no one else", async () => {
    const anonymous = await fetch(`${registry.url}/metrics`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get("www-authenticate"), 'Basic realm="berth"');
    assert.equal((await fetch(`${registry.url}/metrics`, { headers: { Authorization: outsider } })).status, 403, "another tenancy's administrator");
    assert.equal((await fetch(`${registry.url}/metrics`, { headers: { Authorization: basic("berth/prometheus", "wrong-token-xxxxxxxx") } })).status, 401);
    await scrape(registry, prometheus);
    await scrape(registry, basic(OPERATOR, registry.operatorToken));
    const prometheusPull = await fetch(`${registry.url}/v2/berth/anything/manifests/latest`, { headers: { Authorization: prometheus } });
    assert.equal(prometheusPull.status, 403, "the scraper's credential grants nothing else");
  });

  it("counts auth failures by reason", async () => {
    const before = await scrape(registry, prometheus);
    const count = (text: string, reason: string) => sample(text, `berth_auth_failures_total{reason="${reason}"}`) ?? 0;
    assert.equal((await fetch(`${registry.url}/v2/`)).status, 401);
    assert.equal((await fetch(`${registry.url}/v2/`, { headers: { Authorization: basic("berth/admin", "not-the-token-xxxxxx") } })).status, 401);
    assert.equal((await fetch(`${registry.url}/v2/othertenant/app/tags/list`, { headers: { Authorization: prometheus } })).status, 403);
    const after = await scrape(registry, prometheus);
    assert.equal(count(after, "no_credentials") - count(before, "no_credentials"), 1);
    assert.equal(count(after, "bad_credentials") - count(before, "bad_credentials"), 1);
    assert.equal(count(after, "denied") - count(before, "denied"), 1);
  });

  it("logs who a request was authorized as", async () => {
    const res = await fetch(`${registry.url}/v2/`, { headers: { Authorization: basic(OPERATOR, registry.operatorToken) } });
    assert.equal(res.status, 200);
    const line = await accessLine(registry, res.headers.get("x-request-id")!);
    assert.equal(line.user, OPERATOR);
    assert.doesNotMatch(registry.output(), new RegExp(registry.operatorToken), "no token in the log");
  });
});

describe("/metrics opened to anyone", () => {
  it("answers anonymously with http.metrics.anonymous", async () => {
    const registry = await startAuthRegistry({ BERTH_HTTP_WORKERS: "1", BERTH_HTTP_METRICS_ANONYMOUS: "true" });
    try {
      await scrape(registry);
    } finally {
      await registry.close();
    }
  });
});
