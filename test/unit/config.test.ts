import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { loadConfig } from "../../src/config/config.js";
import { parseDuration } from "../../src/config/duration.js";
import { sqlitePath } from "../../src/config/paths.js";

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A scratch directory for a config file, removed after the tests. */
async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-config-"));
  dirs.push(dir);
  return dir;
}

describe("configuration", () => {
  it("has embedded defaults", () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.http.addr, "0.0.0.0:5000");
    assert.equal(c.storage.filesystem.rootdirectory, resolve("./data"));
    assert.equal(sqlitePath(c), resolve("./data/berth.db"));
    assert.equal(c.storage.delete.enabled, true);
    assert.equal(c.storage.filesystem.directio, true);
    assert.equal(c.storage.maintenance.uploadpurging.age, 24 * 3600_000);
    assert.equal(loadConfig({ env: { BERTH_STORAGE_FILESYSTEM_DIRECTIO: "false" } }).storage.filesystem.directio, false);
  });

  it("file < Distribution env < Berth env < flags", async () => {
    const dir = await scratch();
    const file = join(dir, "config.yml");
    await writeFile(file, "version: 0.1\nhttp:\n  addr: 127.0.0.1:1000\nstorage:\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      age: 2h\n");
    assert.equal(loadConfig({ file, env: {} }).http.addr, "127.0.0.1:1000");
    const env = { REGISTRY_HTTP_ADDR: "127.0.0.1:2000", REGISTRY_STORAGE_DELETE_ENABLED: "false", REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: "/srv/reg" };
    const c = loadConfig({ file, env });
    assert.equal(c.http.addr, "127.0.0.1:2000");
    assert.equal(c.storage.delete.enabled, false);
    assert.equal(c.storage.filesystem.rootdirectory, "/srv/reg");
    assert.equal(c.storage.maintenance.uploadpurging.age, 2 * 3600_000);
    assert.equal(loadConfig({ file, env: { ...env, BERTH_HTTP_ADDR: "127.0.0.1:3000" } }).http.addr, "127.0.0.1:3000");
    assert.equal(loadConfig({ file, env, flags: { "http.addr": "127.0.0.1:4000" } }).http.addr, "127.0.0.1:4000");
  });

  it("says what each bad value should have been, and what it got", () => {
    const refused = (env: Record<string, string>) => {
      try {
        loadConfig({ env });
      } catch (err) {
        return (err as Error).message;
      }
      assert.fail(`accepted ${JSON.stringify(env)}`);
    };
    assert.match(refused({ BERTH_HTTP_WORKERS: "lots" }), /^ {2}http\.workers: expected a number 1–64 or "auto", got "lots"$/m);
    assert.match(refused({ BERTH_HTTP_WORKERS: "65" }), /http\.workers: expected a number 1–64 or "auto", got "65"/);
    assert.match(refused({ BERTH_STORAGE_DRIVER: "gcs" }), /storage\.driver: expected "filesystem", "s3" or "inmemory", got "gcs"/);
    assert.match(refused({ REGISTRY_STORAGE_DELETE_ENABLED: "maybe" }), /storage\.delete\.enabled: expected true or false, got "maybe"/);
    assert.match(refused({ BERTH_HTTP_BODYTIMEOUT: "soon" }), /http\.bodytimeout: expected a duration such as 30s, 10m or 24h, got "soon"/);
    assert.match(refused({ BERTH_HTTP_CONNECTIONSPERADDRESS: "-1" }), /http\.connectionsperaddress: expected a whole number, 0 for no limit, got "-1"/);
    assert.match(refused({ BERTH_LOG_LEVEL: "loud" }), /log\.level: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"/);
    // A secret is named, never echoed.
    const secret = refused({ BERTH_AUTH_OPERATOR_TOKEN: "hunter2" });
    assert.match(secret, /auth\.operator\.token: expected a secret of at least 16 characters$/m);
    assert.doesNotMatch(secret, /hunter2/);
  });

  it("has time limits and a per-address connection limit, with defaults", () => {
    const defaults = loadConfig({ env: {} }).http;
    assert.deepEqual([defaults.headertimeout, defaults.bodytimeout, defaults.connectionsperaddress], [60_000, 60_000, 256]);
    const set = loadConfig({ env: { BERTH_HTTP_HEADERTIMEOUT: "2s", BERTH_HTTP_BODYTIMEOUT: "0s", BERTH_HTTP_CONNECTIONSPERADDRESS: "0" } }).http;
    assert.deepEqual([set.headertimeout, set.bodytimeout, set.connectionsperaddress], [2_000, 0, 0]);
  });

  it("names the bad key", async () => {
    const dir = await scratch();
    const file = join(dir, "config.yml");
    await writeFile(file, "http:\n  adr: x\nstorage:\n  maintenance:\n    uploadpurging:\n      age: forever\n");
    assert.throws(() => loadConfig({ file, env: {} }), (err: Error) => {
      assert.match(err.message, /http: unknown key\(s\) "adr"/);
      assert.match(err.message, /storage\.maintenance\.uploadpurging\.age: expected a duration such as 30s, 10m or 24h, got "forever"/);
      return true;
    });
    assert.throws(() => loadConfig({ env: { REGISTRY_HTTP_ADDR: "nope" } }), /http\.addr: expected host:port \(e\.g\. 0\.0\.0\.0:5000\), got "nope"/);
    assert.throws(() => loadConfig({ env: { REGISTRY_HTTP_TLS_CERTIFICATE: "/c.pem" } }), /certificate and key must be given together/);
    assert.throws(() => loadConfig({ file: join(dir, "missing.yml"), env: {} }), /cannot read config file/);
  });

  it("storage.s3 and storage.redirect: Distribution's keys and variables, checked", () => {
    const env = {
      REGISTRY_STORAGE_DRIVER: "s3",
      REGISTRY_STORAGE_S3_REGIONENDPOINT: "127.0.0.1:7480",
      REGISTRY_STORAGE_S3_SECURE: "false",
      REGISTRY_STORAGE_S3_BUCKET: "registry",
      REGISTRY_STORAGE_S3_FORCEPATHSTYLE: "true",
      REGISTRY_STORAGE_S3_ACCESSKEY: "AKID",
      BERTH_STORAGE_S3_SECRETKEY: "s3cr3t",
      REGISTRY_STORAGE_S3_CHUNKSIZE: String(5 * 1024 * 1024),
      REGISTRY_STORAGE_REDIRECT_DISABLE: "false",
    };
    const c = loadConfig({ env });
    assert.equal(c.storage.driver, "s3");
    assert.deepEqual(
      { ...c.storage.s3, secretkey: c.storage.s3?.secretkey === "s3cr3t" },
      {
        region: "us-east-1",
        regionendpoint: "http://127.0.0.1:7480",
        bucket: "registry",
        forcepathstyle: true,
        accesskey: "AKID",
        secretkey: true,
        secure: false,
        rootdirectory: "",
        chunksize: 5 * 1024 * 1024,
        multipartcopythresholdsize: 32 * 1024 * 1024,
        multipartcopychunksize: 32 * 1024 * 1024,
        multipartcopymaxconcurrency: 100,
      },
    );
    assert.deepEqual(c.storage.redirect, { disable: false, expiry: 20 * 60_000 });
    assert.deepEqual(loadConfig({ env: {} }).storage.redirect, { disable: true, expiry: 20 * 60_000 }, "redirects are off by default");
    assert.equal(sqlitePath(c), resolve("./data/berth.db"), "the database stays local, under the filesystem root");
    assert.equal(loadConfig({ env: { ...env, REGISTRY_STORAGE_S3_REGIONENDPOINT: "https://s3.example.com/" } }).storage.s3?.regionendpoint, "https://s3.example.com");
    const without = (key: string) => Object.fromEntries(Object.entries(env).filter(([k]) => !k.endsWith(key)));
    assert.throws(() => loadConfig({ env: without("_BUCKET") }), /storage.s3.bucket: required with storage.driver s3/);
    assert.throws(() => loadConfig({ env: without("_SECRETKEY") }), /accesskey and secretkey must be given together/);
    assert.equal(loadConfig({ env: without("KEY") }).storage.s3?.accesskey, undefined, "neither: the AWS credential chain");
    assert.throws(() => loadConfig({ env: { ...env, REGISTRY_STORAGE_S3_CHUNKSIZE: "1048576" } }), /storage.s3.chunksize: must be at least 5 MiB/);
    assert.throws(() => loadConfig({ env: { ...env, REGISTRY_STORAGE_S3_BUCKET: "Bad_Bucket" } }), /storage.s3.bucket: must be an S3 bucket name/);
    assert.throws(() => loadConfig({ env: { ...env, REGISTRY_STORAGE_S3_REGIONENDPOINT: "ftp://x" } }), /storage.s3.regionendpoint: "ftp:\/\/x" is not an http\(s\) URL/);
    for (const bad of [() => loadConfig({ env: without("_BUCKET") }), () => loadConfig({ env: without("_SECRETKEY") })]) {
      assert.throws(bad, (err: Error) => !err.message.includes("s3cr3t"));
    }
  });

  it("durations", () => {
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("7d"), 7 * 86_400_000);
    assert.equal(parseDuration("soon"), undefined);
  });
});
