// The PostgreSQL server goes away under a running registry (a crash, a failover): requests that
// need it are answered 503 with Retry-After, never 500, and the registry serves again once the
// database is back, without a restart.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { postgresAvailable, startCluster, type Cluster } from "../helpers/postgres.js";
import { Api, expectError, expectStatus, pushBlob, randomBytes, suffix } from "../protocol/support.js";

describe("a lost PostgreSQL connection", { skip: !postgresAvailable && process.env.CI !== "true" && "PostgreSQL 15 is not installed" }, () => {
  let cluster: Cluster;
  let registry: RunningRegistry;
  before(async () => {
    cluster = await startCluster();
    registry = await startRegistry({
      args: ["--workers", "1"],
      env: { BERTH_METADATA_DRIVER: "postgres", BERTH_METADATA_POSTGRES_URL: cluster.url, BERTH_METADATA_POSTGRES_STATEMENTTIMEOUT: "2s" },
    });
  });
  after(async () => {
    await registry?.close();
    cluster?.stop();
  });

  it("is answered 503 with Retry-After while the database is down, and served again once it is back", async () => {
    const api = new Api(registry.url);
    const name = `lost/db-${suffix()}`;
    await pushBlob(api, name, randomBytes(100));
    cluster.halt();
    for (const reply of [await api.post(`/v2/${name}/blobs/uploads/`), await api.get(`/v2/${name}/tags/list`)]) {
      expectError(reply, 503, "UNKNOWN");
      assert.ok(Number(reply.header("retry-after")) >= 1, "Retry-After");
      assert.match(reply.json().errors[0].message, /metadata database is unavailable/);
    }
    cluster.resume();
    // The pool drops its dead connections and opens new ones on demand.
    let back = await api.post(`/v2/${name}/blobs/uploads/`);
    for (let i = 0; i < 20 && back.status === 503; i++) back = await api.post(`/v2/${name}/blobs/uploads/`);
    expectStatus(back, 202, "a push starts again once the database is back");
  });
});
