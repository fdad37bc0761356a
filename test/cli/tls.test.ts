// The remote CLI against a Berth serving HTTPS with a self-signed certificate: refused with a
// hint by default, trusted with --ca, accepted with --insecure; the choice is kept in the profile.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { BERTH_MAIN, startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { hasTool } from "../helpers/tools.js";

const exec = promisify(execFile);

describe("CLI over TLS", { skip: !hasTool("openssl") && process.env.CI !== "true" ? "missing tool: openssl" : false }, () => {
  let dir: string;
  let registry: RunningRegistry;
  let cert: string;
  const operatorToken = randomBytes(18).toString("base64url");

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-cli-tls-"));
    cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    await exec("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]);
    registry = await startRegistry({
      args: ["--tls-cert", cert, "--tls-key", key],
      scheme: "https",
      env: { BERTH_AUTH_ENABLED: "true", BERTH_AUTH_OPERATOR_TOKEN: operatorToken },
    });
  });
  after(async () => {
    await registry?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const berth = async (args: string[], input = "") => {
    const child = exec(process.execPath, [BERTH_MAIN, ...args], { env: { ...process.env, XDG_CONFIG_HOME: join(dir, "home"), BERTH_PROFILE: "" } });
    child.child.stdin!.end(input);
    try {
      return { code: 0, ...(await child) };
    } catch (err) {
      return err as { code: number; stdout: string; stderr: string };
    }
  };
  const login = (...extra: string[]) => berth(["login", registry.url, "-u", "berth/admin", "--password-stdin", "--output", "json", ...extra], operatorToken);

  it("refuses a self-signed certificate and says what to do", async () => {
    const res = await login();
    assert.equal(res.code, 1);
    assert.equal(res.stderr, `berth: cannot reach ${registry.url}: self-signed certificate (use --ca <file>, or --insecure)\n`);
  });

  it("trusts the certificate given with --ca, on later commands too", async () => {
    const res = await login("--ca", cert, "--profile", "ca");
    assert.equal(res.code, 0, res.stderr);
    const who = await berth(["whoami", "--profile", "ca", "--output", "json"]);
    assert.equal(JSON.parse(who.stdout).data.name, "berth/admin");
  });

  it("accepts any certificate with --insecure", async () => {
    const res = await login("--insecure", "--profile", "insecure");
    assert.equal(res.code, 0, res.stderr);
    const who = await berth(["whoami", "--profile", "insecure", "--output", "json"]);
    assert.equal(JSON.parse(who.stdout).data.name, "berth/admin");
  });
});
