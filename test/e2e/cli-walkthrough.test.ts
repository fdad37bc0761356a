// The OCIR walkthrough (shared/seeds/000) done entirely through the remote CLI: the operator logs
// in to a running Berth, creates the tenancy with its administrator; the administrator, in a
// second profile, creates CONREG_DEV/CONREG_USER, dockerdev/dockeruser, the three statements and
// auth tokens; podman and skopeo push and pull with the tokens the CLI printed. Denials read as
// reasons with exit code 4; the operator's offline mode works with the server stopped.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { BERTH_MAIN } from "../helpers/registry.js";
import { needTools } from "../helpers/tools.js";
import { until } from "../helpers/until.js";
import { CommandError, containersEnv, makeScratch, podmanPushLayout, removeScratch, type ContainersEnv, type RunResult } from "../fixtures/clients.js";
import { buildBusyboxLayout } from "../fixtures/oci-layout.js";
import { OPERATOR, startAuthRegistry, type AuthRegistry } from "../iam/support.js";

const SEED_POLICY = [
  "Allow group CONREG_DEV to use repos in tenancy",
  "Allow group CONREG_DEV to manage repos in tenancy where ANY {request.permission = 'REPOSITORY_CREATE', request.permission = 'REPOSITORY_UPDATE'}",
  "Allow group CONREG_USER to read repos in tenancy",
];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

test("the seed walkthrough through the remote CLI, then podman and skopeo with the tokens it printed", { timeout: 600_000 }, async (t) => {
  if (!needTools(t, "podman", "skopeo", "runc", "script")) return;
  const scratch = await makeScratch();
  const configHome = await mkdtemp(join(tmpdir(), "berth-cli-home-"));
  let registry: AuthRegistry | undefined;
  let c: ContainersEnv | undefined;
  t.after(async () => {
    await c?.run("podman", ["rm", "--all", "--force"]).catch(() => undefined);
    await registry?.close();
    await removeScratch(scratch);
    await rm(configHome, { recursive: true, force: true });
  });

  registry = await startAuthRegistry();
  const reg = registry;
  const { host, url } = reg;

  /** `berth …` as a user would run it, with its own config home; `input` goes to stdin. */
  const berth = (args: string[], input = ""): Promise<Outcome> =>
    new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [BERTH_MAIN, ...args],
        { env: { ...process.env, ...reg.metadataEnv, XDG_CONFIG_HOME: configHome, BERTH_PROFILE: "" }, encoding: "utf8" },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin!.end(input);
    });
  /** runs a command that must succeed and returns its `data` (JSON output) */
  const data = async (args: string[], input?: string): Promise<any> => {
    const res = await berth([...args, "--output", "json"], input);
    assert.equal(res.code, 0, `berth ${args.join(" ")}: exit ${res.code}\n${res.stderr}`);
    return res.stdout ? (JSON.parse(res.stdout) as { data: unknown }).data : undefined;
  };
  /**
   * `berth login` on a terminal (a pty from util-linux `script`): answers each prompt once it is
   * shown, and returns everything the terminal displayed.
   */
  const loginOnTerminal = (args: string[], answers: [prompt: string, answer: string][]): Promise<Outcome> =>
    new Promise((resolve) => {
      const command = [process.execPath, BERTH_MAIN, "login", ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
      const child = spawn("script", ["-q", "-e", "-c", command, "/dev/null"], { env: { ...process.env, XDG_CONFIG_HOME: configHome, BERTH_PROFILE: "" } });
      let shown = "";
      let next = 0;
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (text: string) => {
        shown += text;
        while (next < answers.length && shown.includes(answers[next]![0])) child.stdin.write(`${answers[next++]![1]}\r`);
      });
      child.on("exit", (code) => resolve({ code: code ?? 1, stdout: shown, stderr: "" }));
    });
  const asAdmin = (...args: string[]) => data([...args, "--profile", "ourtenant"]);
  const tokens: Record<string, string> = {};

  await t.test("the operator logs in; the profile file is private", async () => {
    const who = await data(["login", url, "--username", OPERATOR, "--password-stdin"], `${reg.operatorToken}\n`);
    assert.equal(who.name, OPERATOR);
    const file = join(configHome, "berth", "config.json");
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(join(configHome, "berth"))).mode & 0o777, 0o700);
    const saved = JSON.parse(await readFile(file, "utf8"));
    assert.deepEqual(saved.profiles.default, { url, login: OPERATOR, token: reg.operatorToken });
    assert.equal((await data(["whoami"])).name, OPERATOR);
  });

  await t.test("a wrong token is refused at login and nothing is stored", async () => {
    const res = await berth(["login", url, "--profile", "wrong", "--username", "berth/admin", "--password-stdin"], "not-the-token");
    assert.equal(res.code, 4, res.stderr);
    assert.match(res.stderr, new RegExp(`^berth: login to ${url} failed: unauthorized: [^\\n]+\\n$`));
    const saved = JSON.parse(await readFile(join(configHome, "berth", "config.json"), "utf8"));
    assert.deepEqual(Object.keys(saved.profiles), ["default"]);
  });

  await t.test("the operator creates the tenancy with its administrator; the administrator logs in as a second profile", async () => {
    const created = await data(["iam", "tenancy", "create", "--namespace", "ourtenant", "--admin-user", "tenantadmin"]);
    assert.equal(created.tenancy.namespace, "ourtenant");
    assert.equal(typeof created.token, "string");
    // on a terminal: the login is asked for and echoed, the token is asked for and never shown
    const shown = await loginOnTerminal([url, "--profile", "ourtenant"], [
      ["Username (<namespace>/<user>): ", "ourtenant/tenantadmin"],
      ["Auth token: ", created.token],
    ]);
    assert.equal(shown.code, 0, shown.stdout);
    assert.match(shown.stdout, /ourtenant\/tenantadmin/);
    assert.match(shown.stdout, new RegExp(`Logged in to ${url} as ourtenant/tenantadmin \\(profile ourtenant\\)\\.`));
    assert.ok(!shown.stdout.includes(created.token), `the token was echoed:\n${shown.stdout}`);
    assert.equal((await asAdmin("whoami")).name, "ourtenant/tenantadmin");
  });

  await t.test("the administrator creates the seed's groups, users, policy and auth tokens", async () => {
    await asAdmin("iam", "group", "create", "--tenancy", "ourtenant", "--name", "CONREG_DEV", "--description", "Group of users who create images for the organization.");
    await asAdmin("iam", "group", "create", "--tenancy", "ourtenant", "--name", "CONREG_USER", "--description", "Group of users who consume these images.");
    for (const [user, group, description] of [
      ["dockerdev", "CONREG_DEV", "A Docker developer"],
      ["dockeruser", "CONREG_USER", "A developer wanting to use images from the Container Registry"],
    ] as const) {
      const created = await asAdmin("iam", "user", "create", "--tenancy", "ourtenant", "--name", user, "--description", description);
      assert.equal(created.name, user);
      await asAdmin("iam", "group", "add-user", "--tenancy", "ourtenant", "--group", group, "--user", user);
      const members = (await asAdmin("iam", "group", "members", "--tenancy", "ourtenant", "--group", group)) as { name: string }[];
      assert.deepEqual(members.map((m) => m.name), [user]);
    }
    const policy = await asAdmin("iam", "policy", "create", "--tenancy", "ourtenant", "--name", "ContainerRegistryAccess", ...SEED_POLICY.flatMap((s) => ["--statement", s]));
    assert.deepEqual(policy.statements, SEED_POLICY);
    for (const user of ["dockerdev", "dockeruser"]) {
      const token = await asAdmin("iam", "auth-token", "create", "--tenancy", "ourtenant", "--user", user, "--description", "laptop");
      assert.equal(typeof token.token, "string");
      tokens[user] = token.token;
    }
    const users = (await asAdmin("iam", "user", "list", "--tenancy", "ourtenant")) as { name: string }[];
    assert.deepEqual(users.map((u) => u.name).sort(), ["dockerdev", "dockeruser", "tenantadmin"]);
  });

  await t.test("a denied action says why, with exit code 4", async () => {
    const tenancy = await berth(["iam", "tenancy", "create", "--namespace", "mine", "--profile", "ourtenant"]);
    assert.equal(tenancy.code, 4);
    assert.match(tenancy.stderr, /^berth: denied: [^\n]*operator[^\n]*\n$/);
    assert.equal(tenancy.stdout, "");
    await data(["login", url, "--profile", "dockeruser", "--username", "ourtenant/dockeruser", "--password-stdin"], tokens.dockeruser);
    const user = await berth(["iam", "user", "create", "--tenancy", "ourtenant", "--name", "intruder", "--profile", "dockeruser"]);
    assert.equal(user.code, 4);
    assert.match(user.stderr, /^berth: denied: [^\n]+\n$/);
    assert.doesNotMatch(user.stderr, /authentication required|log in/, "a logged-in user lacking a right is denied, not asked to log in");
    const missing = await berth(["iam", "user", "get", "--tenancy", "ourtenant", "--name", "ghost", "--profile", "ourtenant"]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^berth: not found: [^\n]+\n$/);
  });

  c = await containersEnv(scratch);
  const podman = c;
  const layout = join(scratch, "layout");
  await buildBusyboxLayout(layout, { tag: "v1", extraFile: { path: "etc/berth-id", content: "oxar\n" } });
  const oxar = `${host}/ourtenant/oxar:0.0.1`;
  const creds = (user: string) => `ourtenant/${user}:${tokens[user]}`;
  let pushed = "";

  await t.test("dockerdev pushes with podman, using the token the CLI printed", async () => {
    pushed = await podmanPushLayout(podman, layout, oxar, { host, user: "ourtenant/dockerdev", token: tokens.dockerdev! });
    await podman.run("skopeo", ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", creds("dockerdev"), "--dest-creds", creds("dockerdev"), `docker://${oxar}`, `docker://${host}/ourtenant/oxar:latest`]);
  });

  await t.test("dockeruser pulls with skopeo and podman but may not push", async () => {
    const info = JSON.parse((await podman.run("skopeo", ["inspect", "--tls-verify=false", "--creds", creds("dockeruser"), `docker://${oxar}`])).stdout) as { Digest: string };
    assert.equal(info.Digest, pushed);
    await podman.run("podman", ["rmi", "--all", "--force"]);
    await podman.run("podman", ["login", "--tls-verify=false", "-u", "ourtenant/dockeruser", "-p", tokens.dockeruser!, host]);
    await podman.run("podman", ["pull", "--tls-verify=false", oxar]);
    assert.equal((await podman.run("podman", ["run", "--rm", oxar, "cat", "/etc/berth-id"])).stdout, "oxar\n");
    let refused: RunResult | unknown;
    try {
      refused = await podman.run("skopeo", ["copy", "--dest-tls-verify=false", "--dest-creds", creds("dockeruser"), `oci:${layout}:v1`, `docker://${host}/ourtenant/oxar:evil`]);
    } catch (err) {
      refused = err;
    }
    assert.ok(refused instanceof CommandError, "dockeruser's push must fail");
    assert.match(`${refused.stderr}${refused.stdout}`, /denied|unauthorized|insufficient_scope|\b40[13]\b/i);
  });

  await t.test("the CLI shows and deletes tags and images; the audit log has the push", async () => {
    const tags = (await asAdmin("repo", "tags", "--name", "ourtenant/oxar")) as { name: string }[];
    assert.deepEqual(tags.map((tag) => tag.name).sort(), ["0.0.1", "latest"]);
    const images = (await asAdmin("image", "list", "--repo", "ourtenant/oxar")) as { digest: string }[];
    assert.deepEqual(images.map((i) => i.digest), [pushed]);
    const table = await berth(["repo", "list", "--tenancy", "ourtenant", "--profile", "ourtenant", "--output", "table"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME +IS PUBLIC +[^\n]*CREATED AT\nourtenant\/oxar +false +[^\n]*\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\n$/);

    assert.equal(await asAdmin("repo", "delete-tag", "--name", "ourtenant/oxar", "--tag", "latest"), undefined);
    const left = (await asAdmin("repo", "tags", "--name", "ourtenant/oxar")) as { name: string }[];
    assert.deepEqual(left.map((tag) => tag.name), ["0.0.1"]);

    type Event = { actor: string; action: string; target: string; outcome: string };
    await until("dockerdev's push in ourtenant's audit log", async () => {
      const events = (await asAdmin("iam", "audit", "--tenancy", "ourtenant", "--limit", "1000")) as Event[];
      return events.some((e) => e.actor === "ourtenant/dockerdev" && e.action === "PushManifest") ? true : undefined;
    });
    const pushes = (await asAdmin("iam", "audit", "--tenancy", "ourtenant", "--actor", "ourtenant/dockerdev", "--action", "PushManifest", "--since", "2000-01-01")) as Event[];
    assert.ok(pushes.length > 0 && pushes.every((e) => e.actor === "ourtenant/dockerdev" && e.action === "PushManifest"), "the filters narrow the log");
    const registryWide = await berth(["iam", "audit", "--output", "json"]);
    assert.equal(registryWide.code, 0, `the operator reads the registry-wide audit log: ${registryWide.stderr}`);
    const mine = await berth(["iam", "audit", "--profile", "ourtenant"]);
    assert.equal(mine.code, 4, "a tenancy administrator may not read the registry-wide audit log");

    assert.equal(await asAdmin("image", "delete", "--repo", "ourtenant/oxar", "--digest", pushed), undefined);
    assert.deepEqual(await asAdmin("image", "list", "--repo", "ourtenant/oxar"), []);
    let gone: unknown;
    try {
      gone = await podman.run("skopeo", ["inspect", "--tls-verify=false", "--creds", creds("dockeruser"), `docker://${oxar}`]);
    } catch (err) {
      gone = err;
    }
    assert.ok(gone instanceof CommandError, "the deleted image is gone");
  });

  await t.test("with the server stopped: the remote CLI says it cannot reach it; --offline --root still creates a tenancy", async () => {
    const exited = new Promise((r) => reg.process.once("exit", r));
    reg.process.kill("SIGTERM");
    await exited;
    const down = await berth(["iam", "tenancy", "list"]);
    assert.deepEqual(down, { code: 1, stdout: "", stderr: `berth: cannot reach ${url}: connection refused\n` });
    const created = await data(["iam", "tenancy", "create", "--offline", "--root", reg.root, "--namespace", "recovered", "--admin-user", "boss"]);
    assert.equal(created.tenancy.namespace, "recovered");
    const listed = (await data(["iam", "tenancy", "list", "--offline", "--root", reg.root])) as { namespace: string }[];
    assert.ok(listed.some((tn) => tn.namespace === "recovered") && listed.some((tn) => tn.namespace === "ourtenant"));
    assert.equal((await data(["whoami", "--offline", "--root", reg.root])).name, "local-operator");
  });

  await t.test("logout forgets the profile", async () => {
    const res = await berth(["logout", "--profile", "dockeruser"]);
    assert.deepEqual(res, { code: 0, stdout: "", stderr: "Logged out (profile dockeruser).\n" });
    const after = await berth(["whoami", "--profile", "dockeruser"]);
    assert.equal(after.code, 4);
    assert.match(after.stderr, /^berth: not logged in \(profile dockeruser\)/);
  });
});
