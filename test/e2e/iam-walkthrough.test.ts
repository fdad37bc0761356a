// The OCIR walkthrough (shared/seeds/000) replayed against a Berth with auth on, with the real
// clients: a tenancy with the seed's groups, users and policy; podman, skopeo, containerd's ctr
// and Docker log in with `<namespace>/<user>` + auth token; developers push, consumers only pull,
// strangers and anonymous callers get nothing until the repository is public; revoked tokens
// stop at once; other tenancies are walled off; the audit log saw it all.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { needTools } from "../helpers/tools.js";
import {
  CommandError,
  containersEnv,
  dockerPaths,
  makeScratch,
  needFiles,
  removeScratch,
  podmanPushLayout,
  run,
  startContainerd,
  startDockerd,
  type Containerd,
  type ContainersEnv,
  type DockerDaemon,
  type RunResult,
} from "../fixtures/clients.js";
import { MANIFEST_ACCEPT } from "../fixtures/distribution.js";
import { buildBusyboxLayout, sha256 } from "../fixtures/oci-layout.js";
import { api, basic, call, expectStatus, OPERATOR, startAuthRegistry, type AuthRegistry } from "../iam/support.js";

const SEED_POLICY = [
  "Allow group CONREG_DEV to use repos in tenancy",
  "Allow group CONREG_DEV to manage repos in tenancy where ANY {request.permission = 'REPOSITORY_CREATE', request.permission = 'REPOSITORY_UPDATE'}",
  "Allow group CONREG_USER to read repos in tenancy",
];

/** What clients print when the registry refuses them (401 or 403), as opposed to any other failure. */
const AUTH_ERROR = /denied|unauthorized|authentication required|insufficient_scope|\b401\b|\b403\b/i;

/** Asserts that a client command fails, and fails because the registry refused it. */
async function refused(what: string, command: Promise<RunResult>): Promise<void> {
  let outcome: RunResult | unknown;
  try {
    outcome = await command;
  } catch (error) {
    outcome = error;
  }
  assert.ok(outcome instanceof CommandError, `${what}: expected the command to fail, it ${outcome instanceof Error ? `threw ${outcome.message}` : "succeeded"}`);
  assert.match(`${outcome.stderr}\n${outcome.stdout}`, AUTH_ERROR, `${what}: failed, but not with an auth error:\n${outcome.message}`);
}

test("IAM walkthrough (OCIR seed) with real clients", { timeout: 1_200_000 }, async (t) => {
  if (!needTools(t, "podman", "skopeo", "runc", "containerd", "ctr")) return;
  const { dockerd: dockerdPath, docker: dockerPath } = await dockerPaths();
  if (!(await needFiles(t, dockerdPath, dockerPath))) return;

  const scratch = await makeScratch();
  let registry: AuthRegistry | undefined;
  let c: ContainersEnv | undefined;
  let containerd: Containerd | undefined;
  let dockerd: DockerDaemon | undefined;
  let failed = false;
  t.after(async () => {
    // the server's log is the first thing to read when a step failed
    if (failed && registry) {
      // its warnings, errors and refused requests, the last 80 of them
      const lines = registry.output().split("\n").filter((l) => /"level":[4-6]\d|"status":[45]\d\d/.test(l));
      for (const line of lines.slice(-80)) t.diagnostic(`berth: ${line}`);
    }
    await c?.run("podman", ["rm", "--all", "--force"]).catch(() => undefined);
    // dockerd first: it stops its containers through containerd
    await dockerd?.stop();
    await containerd?.stop();
    await registry?.close();
    await removeScratch(scratch);
  });
  /** A subtest that remembers a failure, so the server log is printed at the end. */
  const step = (name: string, fn: () => Promise<void>) =>
    t.test(name, async () => {
      try {
        await fn();
      } catch (error) {
        failed = true;
        throw error;
      }
    });

  registry = await startAuthRegistry();
  const reg = registry;
  const { host, url } = reg;
  c = await containersEnv(scratch);
  const podman = c;
  const layout = join(scratch, "layout");
  await buildBusyboxLayout(layout, { tag: "v1", extraFile: { path: "etc/berth-id", content: "oxar\n" } });
  // a second image for the pushes that must be refused: its blobs are not in the registry yet
  await buildBusyboxLayout(layout, { tag: "other", extraFile: { path: "etc/berth-id", content: "other\n" } });

  const oxar = `${host}/ourtenant/oxar:0.0.1`;
  const rtu = `${host}/ourtenant/oxar-rtu:0.0.1`;
  const tokens: Record<string, string> = {};
  const creds = (user: string, secret = tokens[user]!) => `ourtenant/${user}:${secret}`;
  let admin!: ReturnType<typeof api>;
  let pushedDigest = "";

  // client commands, all against plain HTTP on 127.0.0.1
  const skopeo = (...args: string[]) => podman.run("skopeo", args);
  const inspectAs = (credentials: string | undefined, ref: string) =>
    skopeo("inspect", "--tls-verify=false", ...(credentials ? ["--creds", credentials] : ["--no-creds"]), `docker://${ref}`);
  const pushOtherAs = (credentials: string | undefined, ref: string) =>
    skopeo("copy", "--dest-tls-verify=false", ...(credentials ? ["--dest-creds", credentials] : ["--dest-no-creds"]), `oci:${layout}:other`, `docker://${ref}`);
  const tagsOf = async (repo: string) => {
    const res = await call(`${url}/v2/${repo}/tags/list`, { headers: { Authorization: basic("ourtenant/tenantadmin", tokens.tenantadmin!) } });
    assert.equal(res.status, 200, `tags of ${repo}: ${JSON.stringify(res.body)}`);
    return [...(res.body.tags as string[])].sort();
  };

  await step("1. setup through the admin API: tenancy, groups, users, the seed policy, auth tokens", async () => {
    const operator = api(reg, OPERATOR, reg.operatorToken);
    const created = await operator.post("/tenancies", { namespace: "ourtenant", adminUser: "tenantadmin" });
    expectStatus(created, 201, "create tenancy");
    tokens.tenantadmin = created.body.data.token;
    admin = api(reg, "ourtenant/tenantadmin", tokens.tenantadmin!);
    for (const group of ["CONREG_DEV", "CONREG_USER"]) expectStatus(await admin.post("/tenancies/ourtenant/groups", { name: group }), 201, `group ${group}`);
    const members: [string, string | undefined][] = [
      ["dockerdev", "CONREG_DEV"],
      ["dockeruser", "CONREG_USER"],
      ["nobody", undefined],
    ];
    for (const [user, group] of members) {
      expectStatus(await admin.post("/tenancies/ourtenant/users", { name: user }), 201, `user ${user}`);
      if (group) expectStatus(await admin.post(`/tenancies/ourtenant/groups/${group}/members`, { user }), 204, `${user} in ${group}`);
    }
    expectStatus(await admin.post("/tenancies/ourtenant/policies", { name: "ContainerRegistryAccess", statements: SEED_POLICY }), 201, "seed policy");
    for (const [user] of members) {
      const res = await admin.post(`/tenancies/ourtenant/users/${user}/auth-tokens`, { description: "laptop" });
      expectStatus(res, 201, `auth token of ${user}`);
      tokens[user] = res.body.data.token;
    }
    // the repository does not exist before dockerdev's first push
    expectStatus(await admin.get("/repositories/ourtenant%2Foxar"), 404, "oxar before the push");
  });

  await step("2. podman login as dockerdev and push: the first push creates the repository", async () => {
    pushedDigest = await podmanPushLayout(podman, layout, oxar, { host, user: "ourtenant/dockerdev", token: tokens.dockerdev! });
    const served = await fetch(`${url}/v2/ourtenant/oxar/manifests/0.0.1`, {
      headers: { Accept: MANIFEST_ACCEPT, Authorization: basic("ourtenant/tenantadmin", tokens.tenantadmin!) },
    });
    assert.equal(served.status, 200);
    assert.equal(sha256(Buffer.from(await served.arrayBuffer())), pushedDigest);
    const repo = await admin.get("/repositories/ourtenant%2Foxar");
    expectStatus(repo, 200, "oxar after the push");
    assert.equal(repo.body.data.isPublic, false, "a pushed repository is private");
  });

  await step("3. dockeruser (CONREG_USER) pulls and runs, but may not push", async () => {
    const info = JSON.parse((await inspectAs(creds("dockeruser"), oxar)).stdout) as { Digest: string };
    assert.equal(info.Digest, pushedDigest);

    await podman.run("podman", ["rmi", "--all", "--force"]);
    await podman.run("podman", ["login", "--tls-verify=false", "-u", "ourtenant/dockeruser", "-p", tokens.dockeruser!, host]);
    await podman.run("podman", ["pull", "--tls-verify=false", oxar]);
    const hi = await podman.run("podman", ["run", "--rm", oxar, "echo", "hi"]);
    assert.equal(hi.stdout, "hi\n");

    await refused("dockeruser's skopeo push", pushOtherAs(creds("dockeruser"), `${host}/ourtenant/oxar:evil`));
    await refused("dockeruser's podman push", podman.run("podman", ["push", "--tls-verify=false", oxar, `docker://${host}/ourtenant/oxar:evil2`]));
    assert.deepEqual(await tagsOf("ourtenant/oxar"), ["0.0.1"]);
  });

  await step("4. nobody (no group) can neither pull nor push", async () => {
    await refused("nobody's pull", inspectAs(creds("nobody"), oxar));
    await refused("nobody's push", pushOtherAs(creds("nobody"), `${host}/ourtenant/oxar:nobody`));
    await refused("nobody's push to a new repository", pushOtherAs(creds("nobody"), `${host}/ourtenant/nobodys:v1`));
    assert.deepEqual(await tagsOf("ourtenant/oxar"), ["0.0.1"]);
    expectStatus(await admin.get("/repositories/ourtenant%2Fnobodys"), 404, "no repository created by nobody");
  });

  await step("5. anonymous pulls fail while private, work once public; anonymous pushes never do", async () => {
    await podman.run("podman", ["logout", "--all"]);
    await podman.run("podman", ["rmi", "--all", "--force"]);
    await refused("anonymous skopeo inspect (private)", inspectAs(undefined, oxar));
    await refused("anonymous podman pull (private)", podman.run("podman", ["pull", "--tls-verify=false", oxar]));

    const patched = await admin.patch("/repositories/ourtenant%2Foxar", { isPublic: true });
    expectStatus(patched, 200, "make oxar public");
    assert.equal(patched.body.data.isPublic, true);

    await podman.run("podman", ["pull", "--tls-verify=false", oxar]);
    const hi = await podman.run("podman", ["run", "--rm", oxar, "echo", "hi"]);
    assert.equal(hi.stdout, "hi\n");
    const copy = join(scratch, "anonymous-copy");
    await skopeo("copy", "--src-tls-verify=false", "--src-no-creds", `docker://${oxar}`, `oci:${copy}:0.0.1`);
    const index = JSON.parse(await readFile(join(copy, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    assert.equal(index.manifests[0]?.digest, pushedDigest);

    await refused("anonymous push to the public repository", pushOtherAs(undefined, `${host}/ourtenant/oxar:anon`));
    await refused("anonymous push to a new repository", pushOtherAs(undefined, `${host}/ourtenant/anon:v1`));
    assert.deepEqual(await tagsOf("ourtenant/oxar"), ["0.0.1"]);
  });

  await step("6. a third auth token for dockerdev is refused", async () => {
    expectStatus(await admin.post("/tenancies/ourtenant/users/dockerdev/auth-tokens", { description: "desktop" }), 201, "second token");
    const third = await admin.post("/tenancies/ourtenant/users/dockerdev/auth-tokens", { description: "one too many" });
    expectStatus(third, 409, "third token");
    assert.equal(third.body.errors[0].code, "LIMIT_EXCEEDED");
  });

  await step("7. a deleted auth token stops working at once", async () => {
    // private again: a public repository would let a revoked token through as anonymous
    expectStatus(await admin.patch("/repositories/ourtenant%2Foxar", { isPublic: false }), 200, "make oxar private");
    const second = await admin.post("/tenancies/ourtenant/users/dockeruser/auth-tokens", { description: "ci" });
    expectStatus(second, 201, "second token of dockeruser");
    const secret = second.body.data.token as string;
    await inspectAs(creds("dockeruser", secret), oxar);
    expectStatus(await admin.delete(`/tenancies/ourtenant/users/dockeruser/auth-tokens/${second.body.data.record.id}`), 204, "delete token");
    await refused("skopeo inspect with the deleted token", inspectAs(creds("dockeruser", secret), oxar));
    // the first token is untouched
    await inspectAs(creds("dockeruser"), oxar);
  });

  await step("8. containerd pulls with the credentials an imagePullSecret carries", async () => {
    containerd = await startContainerd(scratch);
    const ctr = containerd.ctr;
    // oxar is private (step 7): without credentials containerd gets nothing
    await refused("ctr pull without credentials", ctr(["images", "pull", "--plain-http", oxar]));
    await ctr(["images", "pull", "--plain-http", "--user", creds("dockeruser"), oxar]);
    const { stdout } = await ctr(["images", "ls"]);
    const line = stdout.split("\n").find((l) => l.startsWith(`${oxar} `));
    assert.ok(line?.includes(pushedDigest), `pulled image not listed with ${pushedDigest}:\n${stdout}`);
    const hi = await ctr(["run", ...containerd.ctrRunFlags, "--rm", oxar, "berth-iam-hi", "echo", "hi"]);
    assert.equal(hi.stdout, "hi\n");
  });

  await step("9. Docker: dockerdev commits, tags and pushes oxar-rtu; dockeruser pulls and runs it but may not push", async () => {
    containerd ??= await startContainerd(scratch);
    dockerd = await startDockerd(scratch, containerd.socket);
    const daemon = dockerd;
    const docker = daemon.docker;
    const configFile = join(daemon.env.DOCKER_CONFIG!, "config.json");
    const login = (user: string, secret = tokens[user]!) =>
      // the token goes in on stdin, as the seed's interactive login does, never on the command line
      run("sh", ["-c", 'printf "%s" "$BERTH_SECRET" | "$BERTH_DOCKER" login --username "$BERTH_LOGIN" --password-stdin "$BERTH_HOST"'], {
        env: { ...daemon.env, BERTH_SECRET: secret, BERTH_DOCKER: dockerPath, BERTH_LOGIN: `ourtenant/${user}`, BERTH_HOST: host },
      });
    /**
     * Who config.json says is logged in to Berth. Docker keeps either `user:password`, or `user:`
     * plus the refresh token the token endpoint handed out (identitytoken) in place of the password.
     */
    const storedLogin = async () => {
      const config = JSON.parse(await readFile(configFile, "utf8")) as { auths?: Record<string, { auth?: string; identitytoken?: string }> };
      const entry = config.auths?.[host];
      if (entry?.auth === undefined) return undefined;
      const decoded = Buffer.from(entry.auth, "base64").toString();
      const colon = decoded.indexOf(":");
      const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
      assert.ok(password !== "" || (entry.identitytoken ?? "") !== "", `config.json holds neither a password nor an identity token for ${user}`);
      return user;
    };

    const loggedIn = await login("dockerdev");
    assert.match(loggedIn.stdout, /Login Succeeded/);
    assert.equal(await storedLogin(), "ourtenant/dockerdev");

    // the seed's "From Container to Registry": a container changed, committed as oxar, tagged, pushed
    await docker(["pull", oxar]);
    await docker(["run", "--name", "oxar", "--network", "none", oxar, "sh", "-c", "echo rtu > /etc/rtu"]);
    await docker(["commit", "oxar", "oxar"]);
    await docker(["rm", "oxar"]);
    await docker(["tag", "oxar", rtu]);
    const pushed = await docker(["push", rtu]);
    const m = /digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(pushed.stdout);
    assert.ok(m, `no digest in docker push output:\n${pushed.stdout}`);
    const rtuDigest = m[1]!;
    const repo = await admin.get("/repositories/ourtenant%2Foxar-rtu");
    expectStatus(repo, 200, "oxar-rtu after the push");
    assert.equal(repo.body.data.isPublic, false);

    await docker(["rmi", rtu, "oxar", oxar]);
    await docker(["pull", rtu]);
    const { stdout: digests } = await docker(["image", "inspect", "--format", "{{json .RepoDigests}}", rtu]);
    assert.deepEqual(JSON.parse(digests), [`${host}/ourtenant/oxar-rtu@${rtuDigest}`]);
    assert.equal((await docker(["run", "--rm", "--network", "none", rtu, "echo", "hi"])).stdout, "hi\n");
    assert.equal((await docker(["run", "--rm", "--network", "none", rtu, "cat", "/etc/rtu"])).stdout, "rtu\n");

    await docker(["logout", host]);
    assert.equal(await storedLogin(), undefined);
    await docker(["rmi", rtu]);
    await refused("docker pull logged out", docker(["pull", rtu]));

    // a token of its own for this login, so that revoking it below leaves the first one alone
    const laptop = await admin.post("/tenancies/ourtenant/users/dockeruser/auth-tokens", { description: "docker" });
    expectStatus(laptop, 201, "dockeruser's token for docker");
    await login("dockeruser", laptop.body.data.token);
    assert.equal(await storedLogin(), "ourtenant/dockeruser");
    await docker(["pull", rtu]);
    assert.equal((await docker(["run", "--rm", "--network", "none", rtu, "cat", "/etc/rtu"])).stdout, "rtu\n");
    const evil = `${host}/ourtenant/oxar-rtu:evil`;
    await docker(["tag", rtu, evil]);
    await refused("dockeruser's docker push", docker(["push", evil]));
    assert.deepEqual(await tagsOf("ourtenant/oxar-rtu"), ["0.0.1"]);

    // Docker may keep a refresh token (identitytoken) instead of the auth token: it must die with it
    expectStatus(await admin.delete(`/tenancies/ourtenant/users/dockeruser/auth-tokens/${laptop.body.data.record.id}`), 204, "delete docker's token");
    await docker(["rmi", rtu, evil]);
    await refused("docker pull after the token was deleted", docker(["pull", rtu]));
  });

  await step("10. another tenancy's all-powerful user gets nothing of ourtenant", async () => {
    const operator = api(reg, OPERATOR, reg.operatorToken);
    const other = await operator.post("/tenancies", { namespace: "othertenant", adminUser: "boss" });
    expectStatus(other, 201, "create othertenant");
    const boss = api(reg, "othertenant/boss", other.body.data.token);
    expectStatus(await boss.post("/tenancies/othertenant/groups", { name: "ALL" }), 201, "group ALL");
    expectStatus(await boss.post("/tenancies/othertenant/users", { name: "mallory" }), 201, "user mallory");
    expectStatus(await boss.post("/tenancies/othertenant/groups/ALL/members", { user: "mallory" }), 204, "mallory in ALL");
    expectStatus(
      await boss.post("/tenancies/othertenant/policies", { name: "Everything", statements: ["Allow group ALL to manage all-resources in tenancy"] }),
      201,
      "policy",
    );
    const token = await boss.post("/tenancies/othertenant/users/mallory/auth-tokens", { description: "mallory" });
    expectStatus(token, 201, "mallory's token");
    const mallory = `othertenant/mallory:${token.body.data.token}`;

    // the credentials are good: mallory pushes to her own tenancy
    await pushOtherAs(mallory, `${host}/othertenant/app:v1`);
    await refused("mallory pulls ourtenant/oxar-rtu", inspectAs(mallory, rtu));
    await refused("mallory pushes to ourtenant/anything", pushOtherAs(mallory, `${host}/ourtenant/anything:v1`));
    await refused("mallory pushes to ourtenant/oxar-rtu", pushOtherAs(mallory, `${host}/ourtenant/oxar-rtu:mallory`));
    expectStatus(await admin.get("/repositories/ourtenant%2Fanything"), 404, "no repository created by mallory");
    assert.deepEqual(await tagsOf("ourtenant/oxar-rtu"), ["0.0.1"]);
  });

  await step("11. the audit log has dockeruser's denied push and dockerdev's PushManifest", async () => {
    type Event = { actor: string; action: string; target: string; outcome: string; detail: string | null };
    const expected: [string, (e: Event) => boolean][] = [
      ["dockeruser's denied push to oxar (skopeo)", (e) => e.actor === "ourtenant/dockeruser" && e.outcome === "denied" && e.target === "ourtenant/oxar"],
      ["dockeruser's denied push to oxar-rtu (docker)", (e) => e.actor === "ourtenant/dockeruser" && e.outcome === "denied" && e.target === "ourtenant/oxar-rtu"],
      ["dockerdev's PushManifest of oxar:0.0.1 (podman)", (e) => e.actor === "ourtenant/dockerdev" && e.action === "PushManifest" && e.target === "ourtenant/oxar@0.0.1"],
      ["dockerdev's PushManifest of oxar-rtu:0.0.1 (docker)", (e) => e.actor === "ourtenant/dockerdev" && e.action === "PushManifest" && e.target === "ourtenant/oxar-rtu@0.0.1"],
    ];
    // events are written in batches about every second
    let events: Event[] = [];
    for (let i = 0; i < 50 && !expected.every(([, match]) => events.some(match)); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      const res = await admin.get("/tenancies/ourtenant/audit?limit=1000");
      expectStatus(res, 200, "audit");
      events = res.body.data as Event[];
    }
    for (const [what, match] of expected) assert.ok(events.some(match), `${what} not in the audit log:\n${JSON.stringify(events, null, 1).slice(0, 6000)}`);
    // and no secret made it into the log
    const text = JSON.stringify(events);
    for (const secret of Object.values(tokens)) assert.ok(!text.includes(secret), "an auth token is in the audit log");
  });
});
