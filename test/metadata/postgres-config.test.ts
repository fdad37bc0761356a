// The metadata.postgres.* keys: defaults, environment, and refusals that never echo the URL.
import assert from "node:assert/strict";
import { it } from "node:test";
import { ConfigError, loadConfig } from "../../src/config/config.js";

it("config: metadata.postgres keys from the environment, with defaults", () => {
  const env = {
    BERTH_METADATA_DRIVER: "postgres",
    BERTH_METADATA_POSTGRES_URL: "postgres://berth:pw@db:5432/berth",
    BERTH_METADATA_POSTGRES_POOLSIZE: "4",
    BERTH_METADATA_POSTGRES_TLS_ENABLED: "true",
    BERTH_METADATA_POSTGRES_TLS_CA: "/etc/ca.pem",
  };
  const { metadata } = loadConfig({ env });
  assert.equal(metadata.driver, "postgres");
  assert.deepEqual(metadata.postgres, {
    url: "postgres://berth:pw@db:5432/berth",
    poolsize: 4,
    statementtimeout: 30_000,
    tls: { enabled: true, ca: "/etc/ca.pem", verify: true },
  });
  assert.equal(loadConfig({ env: {} }).metadata.driver, "sqlite", "SQLite stays the default");
  assert.equal(loadConfig({ env: { ...env, BERTH_METADATA_POSTGRES_STATEMENTTIMEOUT: "2s" } }).metadata.postgres.statementtimeout, 2000);
});

it("config: driver postgres without a URL, or a bad pool size, is refused naming the key, never the URL", () => {
  assert.throws(
    () => loadConfig({ env: { BERTH_METADATA_DRIVER: "postgres" } }),
    (err: unknown) => err instanceof ConfigError && /metadata\.postgres\.url: required with metadata\.driver postgres/.test(err.message),
  );
  assert.throws(
    () => loadConfig({ env: { BERTH_METADATA_DRIVER: "mysql" } }),
    (err: unknown) => err instanceof ConfigError && /metadata\.driver: expected "sqlite" or "postgres"/.test(err.message),
  );
  const secret = "postgres://berth:hunter2@db/berth";
  assert.throws(
    () => loadConfig({ env: { BERTH_METADATA_DRIVER: "postgres", BERTH_METADATA_POSTGRES_URL: secret, BERTH_METADATA_POSTGRES_POOLSIZE: "0" } }),
    (err: unknown) => err instanceof ConfigError && /metadata\.postgres\.poolsize: expected a whole number 1–1000/.test(err.message) && !err.message.includes("hunter2"),
  );
});
