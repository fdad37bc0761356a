// Several nodes starting at once on one new PostgreSQL database: each bootstraps the operator
// tenancy if it is missing. Exactly one creates it (and has a token to show); the others find it
// done instead of failing to start.
import assert from "node:assert/strict";
import { it } from "node:test";
import pino from "pino";
import { loadConfig } from "../../src/config/config.js";
import { assemble, bootstrapOperator } from "../../src/server/assemble.js";
import { newDatabase, postgresAvailable } from "../helpers/postgres.js";

it("nodes bootstrapping the operator at the same moment all start; one creates it", { skip: !postgresAvailable && process.env.CI !== "true" && "PostgreSQL 15 is not installed" }, async () => {
  for (let round = 0; round < 3; round++) {
    const env = { BERTH_AUTH_ENABLED: "true", BERTH_STORAGE_DRIVER: "inmemory", BERTH_METADATA_DRIVER: "postgres", BERTH_METADATA_POSTGRES_URL: await newDatabase() };
    const nodes = await Promise.all([1, 2, 3].map(() => assemble(loadConfig({ env }), pino({ level: "silent" }))));
    try {
      const results = await Promise.all(nodes.map((node) => bootstrapOperator(node)));
      assert.equal(results.filter((r) => r?.token).length, 1, `round ${round}: one node shows the token`);
      const admin = await nodes[0]!.iam.getUser("berth", "admin");
      assert.ok(admin, "the operator exists");
      assert.equal((await nodes[0]!.iam.listAuthTokens(admin.id)).length, 1);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  }
});
