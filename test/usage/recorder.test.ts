// The pull and egress recorder on a real (in-memory SQLite) store: counts per repository and UTC
// day, a day that ends between flushes kept apart, and the per-tenancy egress totals of /metrics.
import assert from "node:assert/strict";
import { it } from "node:test";
import { openSqliteStore } from "../../src/metadata/sqlite.js";
import { PullRecorder } from "../../src/registry/pulls.js";

const DAY = 86_400_000;

it("pulls and egress: per repository and UTC day, in batches; egress totals by tenancy", async () => {
  const store = await openSqliteStore(":memory:");
  const errors: unknown[] = [];
  const recorder = new PullRecorder(store, (err) => errors.push(err), 60_000);
  const digest = `sha256:${"a".repeat(64)}`;
  recorder.record("acme/app", digest, 10 * DAY + 5, 300);
  recorder.egress("acme/app", 1000, 10 * DAY + 6);
  recorder.egress("acme/app", 24, 11 * DAY - 1);
  recorder.egress("acme/app", 7, 11 * DAY); // the next day, before any flush
  recorder.record("acme/app", digest, 11 * DAY + 1, 300);
  recorder.egress("beta/tool", 5, 11 * DAY + 2);
  await recorder.flush();
  assert.deepEqual(await store.dailyUsage({ repository: "acme/app" }, 0), [
    { day: 10, pulls: 1, egressBytes: 1324 },
    { day: 11, pulls: 1, egressBytes: 307 },
  ]);
  recorder.egress("acme/app", 3, 11 * DAY + 3);
  await recorder.close();
  assert.deepEqual(await store.dailyUsage({ namespace: "acme" }, 11), [{ day: 11, pulls: 1, egressBytes: 310 }]);
  assert.deepEqual(Object.fromEntries(recorder.egressByTenancy()), { acme: 1634, beta: 5 });
  assert.deepEqual(errors, []);
  await store.close();
});
