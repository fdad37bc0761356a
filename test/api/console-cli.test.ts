// The CLI's side of the console's endpoints, through the remote CLI against a real `berth serve`:
// `berth can`, `berth iam policy check`, `berth image show`, and `--filter` on `repo list` and
// `repo tags`, so a script can do what the console does.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BERTH_MAIN } from "../helpers/registry.js";
import { api, basic, expectStatus, OPERATOR, pushImage, startAuthRegistry, type AuthRegistry } from "../iam/support.js";

describe("CLI: can, policy check, image show, filters", () => {
  let registry: AuthRegistry;
  let home: string;

  const berth = (args: string[], input = ""): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = execFile(process.execPath, [BERTH_MAIN, ...args], { env: { ...process.env, XDG_CONFIG_HOME: home, BERTH_PROFILE: "" }, encoding: "utf8" }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin!.end(input);
    });
  const data = async (...args: string[]): Promise<any> => {
    const res = await berth([...args, "--output", "json"]);
    assert.equal(res.code, 0, `berth ${args.join(" ")}: ${res.stderr}`);
    return (JSON.parse(res.stdout) as { data: unknown }).data;
  };

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "berth-console-cli-"));
    registry = await startAuthRegistry();
    const operator = api(registry, OPERATOR, registry.operatorToken);
    const shop = await operator.post("/tenancies", { namespace: "shop", adminUser: "boss" });
    expectStatus(shop, 201, "tenancy");
    assert.equal(await pushImage(registry, "shop/web", "v1", basic("shop/boss", shop.body.data.token)), 201);
    assert.equal(await pushImage(registry, "shop/web", "rc-2", basic("shop/boss", shop.body.data.token)), 201);
    assert.equal(await pushImage(registry, "shop/db", "v1", basic("shop/boss", shop.body.data.token)), 201);
    const login = await berth(["login", registry.url, "--username", "shop/boss", "--password-stdin"], `${shop.body.data.token}\n`);
    assert.equal(login.code, 0, login.stderr);
  });
  after(async () => {
    await registry?.close();
    await rm(home, { recursive: true, force: true });
  });

  it("berth can: the operations the caller may do on a repository or the tenancy", async () => {
    assert.deepEqual(await data("can", "--operation", "PushImage", "--operation", "CreateTenancy", "--repo", "shop/web"), { allowed: ["PushImage"] });
    assert.deepEqual(await data("can", "--operation", "ListUsers", "--tenancy", "shop"), { allowed: ["ListUsers"] });
    const bad = await berth(["can", "--operation", "Fly"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unknown operation "Fly"/);
  });

  it("berth iam policy check: each statement ok, or the reason and column", async () => {
    const checked = await data("iam", "policy", "check", "--tenancy", "shop", "--statement", "Allow group A to read repos in tenancy", "--statement", "Allow group A to fly repos in tenancy");
    assert.deepEqual(checked.statements[0], { ok: true });
    assert.equal(checked.statements[1].ok, false);
    assert.equal(checked.statements[1].column, "Allow group A to ".length + 1);
  });

  it("berth image show and the filters of repo list and repo tags", async () => {
    const tags = await data("repo", "tags", "--name", "shop/web", "--filter", "RC");
    assert.deepEqual(tags.map((t: any) => t.name), ["rc-2"]);
    assert.ok(tags[0].size > 0);
    assert.deepEqual((await data("repo", "list", "--tenancy", "shop", "--filter", "we")).map((r: any) => r.name), ["shop/web"]);
    const image = await data("image", "show", "--repo", "shop/web", "--digest", tags[0].digest);
    assert.equal(image.pushedBy, "shop/boss");
    assert.equal(image.config.os, "linux");
    assert.equal(image.layers.length, 1);
    const table = await berth(["image", "list", "--repo", "shop/web", "--output", "table"]);
    assert.match(table.stdout, /shop\/boss/, "the image list shows who pushed");
  });
});
