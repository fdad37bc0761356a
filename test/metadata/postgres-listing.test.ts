// Catalog and tag-list pagination on PostgreSQL at 10,000 repositories and 10,000 tags, through a
// real `berth serve`: every page in byte order, p95 within 50 ms (the issue's budget).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { openPostgresStores } from "../../src/metadata/postgres.js";
import { newDatabase, postgresAvailable } from "../helpers/postgres.js";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";

const skip = postgresAvailable ? false : "PostgreSQL 15 is not installed";
const COUNT = 10_000;
const PAGE = 100;
const BUDGET_MS = 50;

describe("postgres: catalog and tag list at 10,000 entries", { skip }, () => {
  let registry: RunningRegistry;
  let repositories: string[];
  let tags: string[];

  before(async () => {
    const url = await newDatabase();
    await (await openPostgresStores({ url })).meta.close(); // migrated
    // Names whose byte order differs from en_US.UTF-8's: punctuation, case, digits.
    repositories = Array.from({ length: COUNT }, (_, i) => `ns${i % 7}/${["a", "A", "a-", "a.", "a_", "b"][i % 6]}${i}`).sort(byteOrder);
    tags = Array.from({ length: COUNT }, (_, i) => `${["v", "V", "v-", "v.", "v_", "1"][i % 6]}${i}`).sort(byteOrder);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("insert into repositories (name, created_at) select unnest($1::text[]), 1", [repositories]);
    await client.query("insert into repositories (name, created_at) values ('big/app', 1)");
    const digest = `sha256:${"a".repeat(64)}`;
    await client.query("insert into manifests (repository, digest, media_type, size, content, pushed_at) values ('big/app', $1, 'application/vnd.oci.image.manifest.v1+json', 2, '\\x7b7d', 1)", [digest]);
    await client.query("insert into tags (repository, name, digest, updated_at) select 'big/app', unnest($1::text[]), $2, 1", [tags, digest]);
    await client.query("analyze");
    await client.end();
    repositories = [...repositories, "big/app"].sort(byteOrder);
    registry = await startRegistry({ args: ["--workers", "1"], env: { BERTH_METADATA_DRIVER: "postgres", BERTH_METADATA_POSTGRES_URL: url } });
  });
  after(() => registry?.close());

  async function measure(path: (last: string | undefined) => string, all: string[], key: string): Promise<number> {
    const times: number[] = [];
    // Warm-up, then pages from everywhere in the list (the first, the last, and between).
    await fetch(`${registry.url}${path(undefined)}`).then((r) => r.arrayBuffer());
    for (let i = 0; i < 200; i++) {
      const start = i === 0 ? -1 : Math.floor((i / 200) * all.length);
      const last = start < 0 ? undefined : all[start];
      const begun = performance.now();
      const response = await fetch(`${registry.url}${path(last)}`);
      const body = (await response.json()) as Record<string, string[]>;
      times.push(performance.now() - begun);
      assert.equal(response.status, 200);
      const from = start + 1;
      assert.deepEqual(body[key], all.slice(from, from + PAGE), `the page after ${last}`);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length * 0.95)]!;
  }

  it(`catalog pages of ${PAGE}: byte order, p95 ≤ ${BUDGET_MS} ms`, async (t) => {
    const p95 = await measure((last) => `/v2/_catalog?n=${PAGE}${last ? `&last=${encodeURIComponent(last)}` : ""}`, repositories, "repositories");
    t.diagnostic(`catalog p95 ${p95.toFixed(2)} ms over ${repositories.length} repositories`);
    assert.ok(p95 <= BUDGET_MS, `catalog p95 ${p95.toFixed(1)} ms`);
  });

  it(`tag list pages of ${PAGE}: byte order, p95 ≤ ${BUDGET_MS} ms`, async (t) => {
    const p95 = await measure((last) => `/v2/big/app/tags/list?n=${PAGE}${last ? `&last=${encodeURIComponent(last)}` : ""}`, tags, "tags");
    t.diagnostic(`tag list p95 ${p95.toFixed(2)} ms over ${tags.length} tags`);
    assert.ok(p95 <= BUDGET_MS, `tag list p95 ${p95.toFixed(1)} ms`);
  });
});

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
