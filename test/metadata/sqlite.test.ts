import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { openSqliteStore } from "../../src/metadata/sqlite.js";
import { metadataStoreSuite } from "./store-suite.js";

metadataStoreSuite("sqlite (in memory)", () => openSqliteStore(":memory:"));

const dir = await mkdtemp(join(tmpdir(), "berth-sqlite-"));
after(() => rm(dir, { recursive: true, force: true }));

it("sqlite: data survives reopening the file and migrations are idempotent", async () => {
  const path = join(dir, "meta.db");
  const first = await openSqliteStore(path);
  await first.linkBlob("r", `sha256:${"a".repeat(64)}`, 7, 1);
  await first.close();
  const second = await openSqliteStore(path);
  assert.equal(await second.linkedBlobSize("r", `sha256:${"a".repeat(64)}`), 7);
  await second.close();
});
