// The session limits in the configuration: defaults, the file and the environment, bad values named.
import assert from "node:assert/strict";
import { it } from "node:test";
import { loadConfig } from "../../src/config/config.js";

it("auth.session.idle and auth.session.ttl: 30 minutes and 12 hours by default, durations of at least 1s", () => {
  assert.deepEqual(loadConfig({ env: {} }).auth.session, { idle: 30 * 60_000, ttl: 12 * 3_600_000 });
  assert.deepEqual(loadConfig({ env: { BERTH_AUTH_SESSION_IDLE: "5m", REGISTRY_AUTH_SESSION_TTL: "1h" } }).auth.session, { idle: 300_000, ttl: 3_600_000 });
  assert.deepEqual(loadConfig({ env: {}, flags: { "auth.session.ttl": "90s" } }).auth.session.ttl, 90_000);
  for (const [variable, value, key] of [
    ["BERTH_AUTH_SESSION_IDLE", "0s", "auth.session.idle"],
    ["BERTH_AUTH_SESSION_TTL", "forever", "auth.session.ttl"],
  ] as const) {
    assert.throws(() => loadConfig({ env: { [variable]: value } }), new RegExp(`${key.replaceAll(".", "\\.")}: expected a duration such as 30s, 10m or 24h, at least 1s, got "${value}"`));
  }
});
