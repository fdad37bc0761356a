// The profiles file holds auth tokens: private modes, whole-file replacement, readable faults.
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { configDir, profileName, Profiles } from "../../src/cli/profiles.js";

describe("CLI profiles", () => {
  let base: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), "berth-profiles-"));
  });
  after(() => rm(base, { recursive: true, force: true }));

  const alice = { url: "https://registry.example.com", login: "acme/alice", token: "s3cret" };

  it("lives in $XDG_CONFIG_HOME/berth, else ~/.config/berth", () => {
    assert.equal(configDir({ XDG_CONFIG_HOME: "/x/conf" }), "/x/conf/berth");
    assert.match(configDir({}), /\/\.config\/berth$/);
    assert.match(configDir({ XDG_CONFIG_HOME: "relative" }), /\/\.config\/berth$/, "a relative XDG_CONFIG_HOME is ignored, as the spec says");
  });

  it("is chosen by --profile, else BERTH_PROFILE, else default", () => {
    assert.equal(profileName("ci", { BERTH_PROFILE: "other" }), "ci");
    assert.equal(profileName(undefined, { BERTH_PROFILE: "other" }), "other");
    assert.equal(profileName(undefined, {}), "default");
  });

  it("creates the directory 0700 and the file 0600, and reads back what it saved", async () => {
    const profiles = new Profiles(join(base, "fresh", "berth"));
    assert.equal(await profiles.get("default"), undefined);
    await profiles.save("default", alice);
    await profiles.save("ci", { ...alice, login: "acme/ci", insecure: true });
    assert.equal((await stat(profiles.dir)).mode & 0o777, 0o700);
    assert.equal((await stat(profiles.file)).mode & 0o777, 0o600);
    assert.deepEqual(await profiles.get("default"), alice);
    assert.equal((await profiles.get("ci"))?.login, "acme/ci");
    assert.equal(await profiles.remove("ci"), true);
    assert.equal(await profiles.remove("ci"), false);
    assert.equal(await profiles.get("ci"), undefined);
    assert.deepEqual(await profiles.get("default"), alice, "removing one profile keeps the others");
  });

  it("replaces the file whole by a rename (a new inode), tightening loose modes, leaving no temporary files", async () => {
    const dir = join(base, "loose", "berth");
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await chmod(dir, 0o755);
    const file = join(dir, "config.json");
    await writeFile(file, JSON.stringify({ profiles: {} }), { mode: 0o644 });
    const before = await stat(file);
    const profiles = new Profiles(dir);
    await profiles.save("default", alice);
    const after = await stat(file);
    assert.notEqual(after.ino, before.ino, "written to a new file and renamed over the old one, never in place");
    assert.equal(after.mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.deepEqual(await readdir(dir), ["config.json"]);
    assert.deepEqual(JSON.parse(await readFile(file, "utf8")), { profiles: { default: alice } });
  });

  it("names the file when it is not valid JSON, and does not overwrite it", async () => {
    const dir = join(base, "broken", "berth");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "config.json"), "{ not json");
    const profiles = new Profiles(dir);
    await assert.rejects(profiles.get("default"), { message: `${join(dir, "config.json")} is not valid JSON; fix or remove it, then log in again` });
    await assert.rejects(profiles.save("default", alice));
    assert.equal(await readFile(join(dir, "config.json"), "utf8"), "{ not json");
  });
});
