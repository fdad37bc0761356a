// Errors as one readable line and an exit code a script can branch on; the CLI process itself
// for usage errors, a missing login and an unreachable registry.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { apiError, EXIT, exitCodeOf, networkError } from "../../src/cli/exit-codes.js";
import { BERTH_MAIN } from "../helpers/registry.js";

const exec = promisify(execFile);

describe("CLI errors and exit codes", () => {
  it("maps API statuses to documented exit codes", () => {
    const table: [number, number][] = [
      [400, EXIT.invalid],
      [401, EXIT.denied],
      [403, EXIT.denied],
      [404, EXIT.notFound],
      [405, EXIT.invalid],
      [409, EXIT.conflict],
      [429, EXIT.retry],
      [503, EXIT.retry],
      [500, EXIT.other],
      [507, EXIT.other],
    ];
    for (const [status, code] of table) assert.equal(exitCodeOf(status), code, `status ${status}`);
    assert.deepEqual([EXIT.other, EXIT.invalid, EXIT.notFound, EXIT.denied, EXIT.conflict, EXIT.retry], [1, 2, 3, 4, 5, 6]);
  });

  it("reads the OCI error envelope as `<code>: <message>`", () => {
    const denied = apiError(403, { errors: [{ code: "DENIED", message: "only Administrators of tenancy acme may create users", detail: null }] });
    assert.equal(denied.message, "denied: only Administrators of tenancy acme may create users");
    assert.equal(denied.exitCode, EXIT.denied);
    const limit = apiError(409, { errors: [{ code: "LIMIT_EXCEEDED", message: "at most 2 auth tokens per user" }] });
    assert.equal(limit.message, "limit exceeded: at most 2 auth tokens per user");
    assert.equal(limit.exitCode, EXIT.conflict);
    const busy = apiError(429, { errors: [{ code: "TOOMANYREQUESTS", message: "too many failed logins" }] }, "60");
    assert.equal(busy.message, "too many requests: too many failed logins; retry after 60s");
    const detailed = apiError(400, { errors: [{ code: "INVALID", message: "bad statement", detail: "line 1:\nexpected a verb" }] });
    assert.equal(detailed.message, "invalid: bad statement (line 1: expected a verb)", "one line");
    assert.equal(apiError(502, "<html>bad gateway</html>").message, "the registry answered 502");
  });

  it("says which registry it could not reach, and why", () => {
    const refused = networkError("https://registry.example.com", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    assert.equal(refused.message, "cannot reach https://registry.example.com: connection refused");
    assert.equal(refused.exitCode, EXIT.other);
  });

  describe("the berth process", () => {
    let config: string;
    before(async () => {
      config = await mkdtemp(join(tmpdir(), "berth-cli-"));
    });
    after(() => rm(config, { recursive: true, force: true }));

    const berth = async (args: string[], input?: string) => {
      const child = exec(process.execPath, [BERTH_MAIN, ...args], { env: { ...process.env, XDG_CONFIG_HOME: config, BERTH_PROFILE: "" } });
      if (input !== undefined) child.child.stdin!.end(input);
      try {
        const { stdout, stderr } = await child;
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    };

    it("exits 2 on a usage error, after saying what is wrong", async () => {
      const missing = await berth(["iam", "user", "list"]);
      assert.equal(missing.code, EXIT.invalid);
      assert.match(missing.stderr, /required option '--tenancy <ns>' not specified/);
      const bad = await berth(["iam", "tenancy", "update", "--namespace", "a", "--repository-limit", "many"]);
      assert.equal(bad.code, EXIT.invalid);
      assert.match(bad.stderr, /--repository-limit <n>' argument 'many' is invalid/);
      const format = await berth(["whoami", "--output", "yaml"]);
      assert.deepEqual([format.code, format.stderr], [EXIT.invalid, "berth: --output must be json or table, not yaml\n"]);
    });

    it("tells how to log in when there is no profile", async () => {
      const res = await berth(["iam", "tenancy", "list"]);
      assert.equal(res.code, EXIT.denied);
      assert.equal(res.stderr, "berth: not logged in: run `berth login <url>`, or on the registry's machine add --offline --root <dir>\n");
      const other = await berth(["repo", "list", "--profile", "acme"]);
      assert.match(other.stderr, /^berth: not logged in \(profile acme\): run `berth login --profile acme <url>`/);
    });

    it("prints the version from package.json and help with an example for every command", async () => {
      const { version } = JSON.parse(await readFile(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
      assert.deepEqual(await berth(["--version"]), { code: 0, stdout: `${version}\n`, stderr: "" });
      for (const command of [["login"], ["iam", "policy", "create"], ["repo", "delete-tag"], ["image", "delete"], ["iam", "audit"]]) {
        const help = await berth([...command, "--help"]);
        assert.equal(help.code, 0);
        assert.match(help.stdout, /\nExamples?:\n {2}\$ berth /, `${command.join(" ")} --help`);
      }
    });

    it("says `cannot reach …: connection refused` without a stack trace when the registry is down", async () => {
      // a port that was free a moment ago: nothing listens there
      const port = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, "127.0.0.1", () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => resolve(p));
        });
      });
      const res = await berth(["login", `http://127.0.0.1:${port}`, "--username", "acme/alice", "--password-stdin"], "token\n");
      assert.deepEqual(res, { code: EXIT.other, stdout: "", stderr: `berth: cannot reach http://127.0.0.1:${port}: connection refused\n` });

      // The same over plain HTTP to another machine's address: a warning first, before the token is sent.
      const address = Object.values(networkInterfaces())
        .flat()
        .find((i) => i?.family === "IPv4" && !i.internal)?.address;
      if (address === undefined) return;
      const remote = await berth(["login", `http://${address}:${port}`, "--username", "acme/alice", "--password-stdin"], "token\n");
      assert.match(remote.stderr, new RegExp(`^berth: warning: http://${address.replace(/\./g, "\\.")}:${port} is plain HTTP: the auth token would cross the network in clear text`));
    });
  });
});
