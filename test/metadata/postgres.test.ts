// The metadata contract suites against a real PostgreSQL 15 whose collation is en_US.UTF-8 (not
// byte order), plus what only PostgreSQL has: the pool, the migration lock, connection errors.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { DatabaseTooNew } from "../../src/metadata/migrations.js";
import { openPostgresStores, PostgresUnavailable } from "../../src/metadata/postgres.js";
import { newDatabase, postgresAvailable } from "../helpers/postgres.js";
import { iamStoreSuite } from "./iam-suite.js";
import { concurrentWritersSuite, metadataStoreSuite } from "./store-suite.js";
import { usageSuite } from "./usage-suite.js";

if (!postgresAvailable && process.env.CI === "true") throw new Error("PostgreSQL 15 is not installed (.ci/install.sh installs it)");
const skip = postgresAvailable ? false : "PostgreSQL 15 is not installed";

const opened: { close(): Promise<void> }[] = [];
after(async () => {
  for (const store of opened) await store.close().catch(() => undefined);
});

async function stores(repositoryLimits = false) {
  const s = await openPostgresStores({ url: await newDatabase(), poolSize: 8 }, { repositoryLimits });
  return s;
}

describe("postgres", { skip }, () => {
  metadataStoreSuite("postgres (en_US.UTF-8 cluster)", async () => (await stores()).meta);
  iamStoreSuite("postgres (en_US.UTF-8 cluster)", () => stores(true));
  concurrentWritersSuite("postgres (several processes, pools of 4)", async () => {
    const url = await newDatabase();
    await (await openPostgresStores({ url })).meta.close();
    return { driver: "postgres", url };
  });

  usageSuite("postgres (pools of 4)", async () => {
    const url = await newDatabase();
    await (await openPostgresStores({ url })).meta.close();
    return { driver: "postgres", url };
  });

  it("postgres: nodes starting together on a new database migrate it once", async () => {
    const url = await newDatabase();
    const all = await Promise.all(Array.from({ length: 4 }, () => openPostgresStores({ url, poolSize: 2 })));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query("select name, count(*)::int as n from kysely_migration group by name");
    await client.end();
    assert.ok(rows.length >= 6);
    assert.ok(rows.every((r: { n: number }) => r.n === 1), "each migration ran once");
    for (const s of all) await s.meta.close();
  });

  it("postgres: a database migrated by a newer Berth is refused with a message that says so", async () => {
    const url = await newDatabase();
    await (await openPostgresStores({ url })).meta.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("insert into kysely_migration (name, timestamp) values ('9999_from_the_future', 'x')");
    await client.end();
    await assert.rejects(openPostgresStores({ url }), (err: unknown) => {
      assert.ok(err instanceof DatabaseTooNew);
      assert.match(err.message, /migrated by a newer Berth \(9999_from_the_future\); upgrade this node/);
      return true;
    });
  });

  it("postgres: a wrong password or database stops with one line naming user, host and database, not the password", async () => {
    const url = new URL(await newDatabase());
    url.password = "s3cret-pass";
    url.pathname = "/no_such_database";
    await assert.rejects(openPostgresStores({ url: url.toString() }), (err: unknown) => {
      assert.ok(err instanceof PostgresUnavailable);
      assert.match(err.message, new RegExp(`^metadata.postgres: cannot connect to berth@${url.host}/no_such_database: .*no_such_database`));
      assert.doesNotMatch(err.message, /s3cret/);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  });

  it("postgres: a statement past the statement timeout is cancelled (57014, a 503 for clients)", async () => {
    const { meta } = await openPostgresStores({ url: await newDatabase(), statementTimeout: 50 });
    const { faultOf } = await import("../../src/registry/errors.js");
    const db = (meta as unknown as { db: { executeQuery(q: unknown): Promise<unknown> } }).db;
    const { sql } = await import("kysely");
    const slow = sql`select pg_sleep(1)`.compile(db as never);
    await assert.rejects(db.executeQuery(slow), (err: unknown) => {
      assert.equal((err as { code?: string }).code, "57014");
      assert.equal(faultOf(err)?.status, 503);
      return true;
    });
    await meta.close();
  });
});

describe("postgres connections", { skip }, () => {
  it("postgres: a pooled connection costs the same on its 20,000th query as on its first", async () => {
    // One connection, checked out for every query: anything added per checkout accumulates.
    const { meta } = await openPostgresStores({ url: await newDatabase(), poolSize: 1 });
    const db = (meta as unknown as { db: { executeQuery(q: unknown): Promise<unknown> } }).db;
    const { sql } = await import("kysely");
    const one = sql`select 1`.compile(db as never);
    const timed = async (n: number) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await db.executeQuery(one);
      return Number(process.hrtime.bigint() - t0) / n;
    };
    const first = await timed(1000);
    await timed(18_000);
    const last = await timed(1000);
    assert.ok(last < first * 3, `per query: first thousand ${Math.round(first / 1000)} µs, last thousand ${Math.round(last / 1000)} µs`);
    await meta.close();
  });
});

describe("berth serve on postgres", { skip }, () => {
  it("serves on PostgreSQL and is ready (no SQLite file is looked for)", async () => {
    const { startRegistry } = await import("../helpers/registry.js");
    const env = { BERTH_METADATA_DRIVER: "postgres", BERTH_METADATA_POSTGRES_URL: await newDatabase() };
    const registry = await startRegistry({ env, args: ["--workers", "2"] });
    try {
      const ready = await fetch(`${registry.url}/readyz`);
      assert.equal(ready.status, 200, await ready.text());
      const created = await fetch(`${registry.url}/v2/team/app/blobs/uploads/`, { method: "POST" });
      assert.equal(created.status, 202);
      const catalog = await fetch(`${registry.url}/v2/_catalog`);
      assert.deepEqual(await catalog.json(), { repositories: [] }, "an upload session alone makes no repository");
    } finally {
      await registry.close();
    }
  });

  it("a wrong password or database stops `berth serve` with one line naming user, host and database", async () => {
    const { startRegistry } = await import("../helpers/registry.js");
    const url = new URL(await newDatabase());
    url.password = "s3cret-pass";
    url.pathname = "/no_such_database";
    const env = { BERTH_METADATA_DRIVER: "postgres", BERTH_METADATA_POSTGRES_URL: url.toString() };
    await assert.rejects(startRegistry({ env, args: ["--workers", "1"] }), (err: unknown) => {
      const message = (err as Error).message;
      assert.match(message, new RegExp(`\\nberth: metadata.postgres: cannot connect to berth@${url.host}/no_such_database: [^\\n]*\\n`));
      assert.doesNotMatch(message, /s3cret/);
      assert.doesNotMatch(message, /berth worker: Error/, "no stack trace");
      return true;
    });
  });
});

describe("postgres over TLS", { skip }, () => {
  it("metadata.postgres.tls reaches pg: verified against the given CA, refused without it, or unverified when told", async () => {
    const { execFileSync } = await import("node:child_process");
    const { startCluster } = await import("../helpers/postgres.js");
    const cluster = await startCluster({
      settings: (dir) => ["ssl=on", `ssl_cert_file=${dir}/server.crt`, `ssl_key_file=${dir}/server.key`],
      prepare(dir) {
        execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
          "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", `${dir}/server.key`, "-out", `${dir}/server.crt`], { stdio: "ignore" });
        execFileSync("chmod", ["600", `${dir}/server.key`]);
      },
    });
    try {
      const dir = cluster.dir;
      const url = cluster.url;
      const sslOf = async (s: { meta: { close(): Promise<void> } }) => {
        const db = (s.meta as unknown as { db: { executeQuery(q: unknown): Promise<{ rows: { ssl: boolean }[] }> } }).db;
        const { sql } = await import("kysely");
        return (await db.executeQuery(sql`select ssl from pg_stat_ssl where pid = pg_backend_pid()`.compile(db as never))).rows[0]?.ssl;
      };
      const verified = await openPostgresStores({ url, tls: { enabled: true, verify: true, ca: `${dir}/server.crt` } });
      assert.equal(await sslOf(verified), true);
      await verified.meta.close();
      await assert.rejects(openPostgresStores({ url, tls: { enabled: true, verify: true } }), (err: unknown) => {
        assert.ok(err instanceof PostgresUnavailable);
        assert.match(err.message, /^metadata.postgres: cannot connect to berth@127\.0\.0\.1:\d+\/postgres: .*certificate/);
        return true;
      });
      const unverified = await openPostgresStores({ url, tls: { enabled: true, verify: false } });
      assert.equal(await sslOf(unverified), true);
      await unverified.meta.close();
    } finally {
      cluster.stop();
    }
  });
});
