// The console's Identity and account pages in Chromium against a real `berth serve` with auth on:
// a tenancy's Administrator creates a group, a user, a membership and a policy (a typo flagged
// with its column while typing, then fixed), generates an auth token shown once and copied, which
// then works for the registry (a real skopeo push when skopeo is here); the token limit, token
// deletion, console passwords, a plain user who sees no Identity pages and whose writes the API
// refuses anyway, and a user whom a policy lets manage policies, who sees those alone.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { containersEnv, makeScratch, removeScratch } from "../fixtures/clients.js";
import { buildRandomLayout } from "../fixtures/oci-layout.js";
import { launchBrowser, newConsolePage, screenshot, signIn } from "../helpers/browser.js";
import { hasTool } from "../helpers/tools.js";
import { api, expectStatus, OPERATOR, startAuthRegistry, token } from "../iam/support.js";

const TENANCY = "acme";
const TYPO_LINE = "Allow group Developers ot manage repos in tenancy where target.repo.name = 'web'";
const FIXED_LINE = "Allow group Developers to manage repos in tenancy where target.repo.name = 'web'";

test("the Identity pages and my account, in a browser", { timeout: 120_000 }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  const registry = await startAuthRegistry();
  t.after(() => registry.close());
  const operator = api(registry, OPERATOR, registry.operatorToken);
  const created = await operator.post("/tenancies", { namespace: TENANCY, adminUser: "boss" });
  expectStatus(created, 201, "create the tenancy");
  const bossToken: string = created.body.data.token;
  const boss = api(registry, `${TENANCY}/boss`, bossToken);
  expectStatus(await boss.post(`/tenancies/${TENANCY}/users`, { name: "viewer" }), 201, "create viewer");
  const viewerToken = await boss.post(`/tenancies/${TENANCY}/users/viewer/auth-tokens`, { description: "setup" });
  expectStatus(viewerToken, 201, "viewer's token");

  const admin = await newConsolePage(browser, registry.url);
  await signIn(admin, registry.url, `${TENANCY}/boss`, bossToken);
  let devToken = "";

  await t.test("create a group and a user, and put the user in the group", async () => {
    await admin.getByRole("link", { name: "Identity" }).click();
    await admin.getByRole("heading", { level: 1, name: "Users" }).waitFor();

    await identityTab(admin, "Groups").click();
    await admin.getByRole("button", { name: "Create group" }).click();
    await dialog(admin, "Create group").getByLabel("Name").fill("Developers");
    await dialog(admin, "Create group").getByRole("button", { name: "Create group" }).click();
    await admin.getByRole("heading", { level: 1, name: "Developers" }).waitFor();

    await identityTab(admin, "Users").click();
    await admin.getByRole("button", { name: "Create user" }).click();
    await dialog(admin, "Create user").getByLabel("Name").fill("dev");
    await dialog(admin, "Create user").getByLabel("Description").fill("builds the web image");
    await dialog(admin, "Create user").getByRole("button", { name: "Create user" }).click();
    await admin.getByRole("heading", { level: 1, name: "dev" }).waitFor();
    assert.equal(new URL(admin.url()).pathname, "/console/iam/users/dev");

    await admin.getByLabel("Group", { exact: true }).selectOption("Developers");
    await admin.getByRole("button", { name: "Add to group" }).click();
    await admin.getByRole("table", { name: "Groups of dev" }).getByRole("row", { name: /Developers/ }).waitFor();
    const developers = await boss.get(`/tenancies/${TENANCY}/groups/Developers/members`);
    assert.deepEqual(
      developers.body.data.map((u: { name: string }) => u.name),
      ["dev"],
    );

    await identityTab(admin, "Users").click();
    const row = admin.getByRole("row", { name: /\bdev\b/ });
    await row.getByRole("cell", { name: "Developers" }).waitFor();
    await row.getByRole("cell", { name: "builds the web image" }).waitFor();
    // The group's page adds a member picked from the tenancy's users, and removes one.
    await admin.getByRole("link", { name: "Identity" }).click();
    await identityTab(admin, "Groups").click();
    await admin.getByRole("link", { name: "Developers" }).click();
    const members = admin.getByRole("table", { name: "Members of Developers" });
    await members.getByRole("row", { name: /\bdev\b/ }).waitFor();
    await admin.getByLabel("User", { exact: true }).selectOption("viewer");
    await admin.getByRole("button", { name: "Add member" }).click();
    await members.getByRole("row", { name: /viewer/ }).waitFor();
    await admin.getByRole("button", { name: "Remove viewer from Developers" }).click();
    await members.getByRole("row", { name: /viewer/ }).waitFor({ state: "detached" });
    assert.deepEqual((await boss.get(`/tenancies/${TENANCY}/users/viewer`)).body.data.groups, []);

    await identityTab(admin, "Users").click();
    await admin.getByRole("button", { name: "Unlock dev" }).click();
    await admin.getByText("Failed-login throttle of dev lifted").waitFor();
    await screenshot(admin, "users");
  });

  await t.test("a policy with a typo is flagged with its column as it is typed, and saves once fixed", async () => {
    let inFlight = 0;
    let mostInFlight = 0;
    let checks = 0;
    const isCheck = (url: string) => url.endsWith(`/api/v1/tenancies/${TENANCY}/policies/check`);
    admin.on("request", (r) => {
      if (!isCheck(r.url())) return;
      checks++;
      mostInFlight = Math.max(mostInFlight, ++inFlight);
    });
    const settled = (r: { url(): string }) => isCheck(r.url()) && inFlight--;
    admin.on("requestfinished", settled);
    admin.on("requestfailed", settled);

    await identityTab(admin, "Policies").click();
    await admin.getByRole("button", { name: "Create policy" }).click();
    await admin.getByLabel("Name", { exact: true }).fill("DevAccess");
    const editor = admin.getByLabel("Statements");
    await editor.fill("Allow group Developers to use repos in tenancy\n");
    await editor.press("Control+End");
    // Typed a key every 20 ms: a check goes out only once typing pauses for 300 ms.
    const before = checks;
    await editor.pressSequentially(TYPO_LINE, { delay: 20 });
    const whileTyping = checks - before;

    const column = TYPO_LINE.indexOf(" ot ") + 2;
    const problem = admin.getByRole("listitem").filter({ hasText: `Line 2, column ${column}: expected "to" but found "ot"` });
    await problem.waitFor();
    assert.equal(await editor.getAttribute("aria-invalid"), "true");
    const describedBy = (await editor.getAttribute("aria-describedby")) ?? "";
    const described = await admin.evaluate((ids) => ids.split(" ").map((id) => document.getElementById(id)?.textContent ?? "").join(" "), describedBy);
    assert.match(described, new RegExp(`Line 2, column ${column}`), "the textarea is described by its problems");
    const save = admin.getByRole("button", { name: "Create policy" }).last();
    assert.equal(await save.isDisabled(), true, "Save is disabled while a statement is bad");
    await screenshot(admin, "policy-editor");

    await editor.fill(`Allow group Developers to use repos in tenancy\n${FIXED_LINE}`);
    await problem.waitFor({ state: "detached" });
    assert.equal(await editor.getAttribute("aria-invalid"), "false");
    await save.click(); // waits until the check of the fixed text has enabled it
    await admin.getByRole("heading", { level: 1, name: "DevAccess" }).waitFor();
    const policy = await boss.get(`/tenancies/${TENANCY}/policies/DevAccess`);
    assert.deepEqual(policy.body.data.statements, ["Allow group Developers to use repos in tenancy", FIXED_LINE]);

    // Editing it: a description, saved with PATCH.
    await admin.getByLabel("Description", { exact: true }).fill("what developers may do");
    await admin.getByRole("button", { name: "Save policy" }).click();
    await admin.getByText("Policy DevAccess saved").waitFor();
    assert.equal((await boss.get(`/tenancies/${TENANCY}/policies/DevAccess`)).body.data.description, "what developers may do");

    // The server's refusal of a save is shown on the page too.
    await admin.goto(`${registry.url}/console/iam/policies/+new`);
    await admin.getByLabel("Name", { exact: true }).fill("DevAccess");
    await admin.getByLabel("Statements").fill("Allow group Developers to read repos in tenancy");
    await admin.getByRole("button", { name: "Create policy" }).click();
    await admin.getByRole("alert").filter({ hasText: "policy DevAccess already exists in acme" }).waitFor();

    assert.ok(checks >= 2, "the editor checked while typing");
    assert.ok(whileTyping <= 5, `checks are debounced (${whileTyping} while typing ${TYPO_LINE.length} keys)`);
    assert.equal(mostInFlight, 1, "at most one check in flight");
  });

  await t.test("a generated token is shown once, copied, and works for the registry", async () => {
    await admin.goto(`${registry.url}/console/iam/users/dev`);
    await admin.getByRole("heading", { level: 1, name: "dev" }).waitFor();
    await admin.getByRole("button", { name: "Generate token" }).click();
    await dialog(admin, "Generate auth token").getByLabel("Description").fill("laptop");
    await dialog(admin, "Generate auth token").getByRole("button", { name: "Generate" }).click();
    const once = dialog(admin, "Auth token generated");
    await once.getByText("This token is shown only once. Copy it now; Berth stores only its hash.").waitFor();
    devToken = await once.getByLabel("Auth token", { exact: true }).inputValue();
    assert.ok(devToken.length >= 16, `a token: ${devToken}`);
    await once.getByText(`docker login ${registry.host} -u ${TENANCY}/dev`).waitFor();
    await screenshot(admin, "token-once");

    await once.getByRole("button", { name: "Copy token" }).click();
    await once.getByText("Copied").first().waitFor();
    assert.equal(await admin.evaluate(() => navigator.clipboard.readText()), devToken);

    await once.getByRole("button", { name: "Done" }).click();
    await once.waitFor({ state: "detached" });
    assert.ok(!(await admin.content()).includes(devToken), "closing the dialog forgets the token");

    // docker login's exchange: Basic credentials at the token endpoint, granted what the policy says.
    const granted = await token(registry, [`repository:${TENANCY}/web:pull,push`], `${TENANCY}/dev`, devToken);
    assert.equal(granted.status, 200);
    assert.deepEqual([...granted.access[0]!.actions].sort(), ["pull", "push"]);

    // docker login + push, with skopeo (CI installs it; a machine without it checks the token endpoint only).
    if (!hasTool("skopeo") && process.env.CI === "true") throw new Error("skopeo is missing (CI=true: .ci/install.sh installs it)");
    if (hasTool("skopeo")) {
      const scratch = await makeScratch();
      t.after(() => removeScratch(scratch));
      const layout = `${scratch}/layout`;
      await buildRandomLayout(layout, { tag: "v1" });
      const clients = await containersEnv(scratch);
      await clients.run("skopeo", ["copy", "--dest-tls-verify=false", "--dest-creds", `${TENANCY}/dev:${devToken}`, `oci:${layout}:v1`, `docker://${registry.host}/${TENANCY}/web:1.0`]);
      const tags = await boss.get(`/repositories/${encodeURIComponent(`${TENANCY}/web`)}/tags`);
      assert.deepEqual(
        tags.body.data.map((x: { name: string }) => x.name),
        ["1.0"],
      );
    }

    // The last use is written as the token is used; the list shows it once it has landed.
    const row = admin.getByRole("table", { name: "Auth tokens of dev" }).getByRole("row", { name: /laptop/ });
    const deadline = Date.now() + 10_000;
    for (;;) {
      await admin.reload();
      await row.waitFor();
      if (!(await row.getByRole("cell", { name: "Never" }).count())) break;
      assert.ok(Date.now() < deadline, "the token list shows when the token was last used");
    }
  });

  await t.test("a third token is refused with the API's message; at two, Generate is disabled", async () => {
    await admin.getByRole("button", { name: "Generate token" }).waitFor();
    // Another administrator generates the second one meanwhile; this page still shows one.
    expectStatus(await boss.post(`/tenancies/${TENANCY}/users/dev/auth-tokens`, { description: "ci" }), 201, "second token");
    await admin.getByRole("button", { name: "Generate token" }).click();
    await dialog(admin, "Generate auth token").getByRole("button", { name: "Generate" }).click();
    await dialog(admin, "Generate auth token").getByRole("alert").filter({ hasText: "already has 2 auth tokens; delete one first" }).waitFor();
    await dialog(admin, "Generate auth token").getByRole("button", { name: "Cancel" }).click();
    await admin.getByRole("table", { name: "Auth tokens of dev" }).getByRole("row", { name: /\bci\b/ }).waitFor();
    assert.equal(await admin.getByRole("button", { name: "Generate token" }).isDisabled(), true);
    await admin.getByText("delete one to generate another").waitFor();
  });

  await t.test("a deleted token stops working", async () => {
    await admin.getByRole("button", { name: "Delete token laptop" }).click();
    await dialog(admin, "Delete auth token").getByRole("button", { name: "Delete token" }).click();
    await admin.getByRole("row", { name: /laptop/ }).waitFor({ state: "detached" });
    await admin.getByRole("button", { name: "Generate token", disabled: false }).waitFor();
    const refused = await token(registry, [`repository:${TENANCY}/web:pull`], `${TENANCY}/dev`, devToken);
    assert.equal(refused.status, 401);
  });

  await t.test("a plain user sees no Identity pages, and the API refuses their IAM writes", async () => {
    const viewer = await newConsolePage(browser, registry.url);
    await signIn(viewer, registry.url, `${TENANCY}/viewer`, viewerToken.body.data.token);
    // The nav shows Identity while it asks whether ListUsers is allowed; the answer hides it.
    await viewer.getByRole("link", { name: "Identity" }).waitFor({ state: "detached" });

    await viewer.goto(`${registry.url}/console/iam/users`);
    await viewer.getByRole("alert").filter({ hasText: /may/ }).waitFor();
    assert.equal(await viewer.getByRole("button", { name: "Create user" }).count(), 0);

    const status = await viewer.evaluate(async (ns) => {
      const session = (await (await fetch("/api/v1/session")).json()) as { data: { csrfToken: string } };
      const res = await fetch(`/api/v1/tenancies/${ns}/users`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": session.data.csrfToken },
        body: JSON.stringify({ name: "intruder" }),
      });
      return res.status;
    }, TENANCY);
    assert.equal(status, 403);
  });

  await t.test("a group a policy lets manage policies sees Identity with Policies alone, and writes one; a help desk sees users without groups", async () => {
    expectStatus(await boss.post(`/tenancies/${TENANCY}/groups`, { name: "PolicyWriters" }), 201, "group");
    expectStatus(await boss.post(`/tenancies/${TENANCY}/users`, { name: "pat" }), 201, "user");
    expectStatus(await boss.post(`/tenancies/${TENANCY}/groups/PolicyWriters/members`, { user: "pat" }), 204, "member");
    const grant = { name: "PolicyWriting", statements: ["Allow group PolicyWriters to manage policies in tenancy"] };
    expectStatus(await boss.post(`/tenancies/${TENANCY}/policies`, grant), 201, "policy");
    const patToken = await boss.post(`/tenancies/${TENANCY}/users/pat/auth-tokens`, {});
    const pat = await newConsolePage(browser, registry.url);
    await signIn(pat, registry.url, `${TENANCY}/pat`, patToken.body.data.token);

    await pat.getByRole("link", { name: "Identity" }).click();
    await pat.getByRole("heading", { level: 1, name: "Policies" }).waitFor();
    assert.equal(new URL(pat.url()).pathname, "/console/iam/policies", "Identity opens the one section pat may list");
    await identityTab(pat, "Users").waitFor({ state: "detached" });
    assert.equal(await identityTab(pat, "Groups").count(), 0);

    await pat.getByRole("button", { name: "Create policy" }).click();
    await pat.getByLabel("Name", { exact: true }).fill("Readers");
    await pat.getByLabel("Statements").fill("Allow group Developers to read repos in tenancy");
    await pat.getByRole("button", { name: "Create policy" }).last().click();
    await pat.getByRole("heading", { level: 1, name: "Readers" }).waitFor();
    assert.deepEqual((await boss.get(`/tenancies/${TENANCY}/policies/Readers`)).body.data.statements, ["Allow group Developers to read repos in tenancy"]);

    // A help desk that may manage users but not read groups: the users list, without the groups column or an error.
    expectStatus(await boss.post(`/tenancies/${TENANCY}/groups`, { name: "HelpDesk" }), 201, "group");
    expectStatus(await boss.post(`/tenancies/${TENANCY}/groups/HelpDesk/members`, { user: "pat" }), 204, "member");
    expectStatus(await boss.post(`/tenancies/${TENANCY}/policies`, { name: "HelpDesking", statements: ["Allow group HelpDesk to manage users in tenancy"] }), 201, "policy");
    await pat.goto(`${registry.url}/console/iam/users`);
    const users = pat.getByRole("table", { name: `Users of ${TENANCY}` });
    await users.getByRole("row", { name: /\bviewer\b/ }).waitFor();
    await pat.getByRole("button", { name: "Create user" }).waitFor();
    assert.equal(await users.getByRole("columnheader", { name: "Groups" }).count(), 0);
    assert.equal(await pat.getByRole("alert").count(), 0, "no refusal shown");
  });

  await t.test("my account: my tokens and my console password", async () => {
    const viewer = await newConsolePage(browser, registry.url);
    await signIn(viewer, registry.url, `${TENANCY}/viewer`, viewerToken.body.data.token);
    await viewer.goto(`${registry.url}/console/account`);
    await viewer.getByRole("table", { name: "Auth tokens of viewer" }).getByRole("row", { name: /setup/ }).waitFor();

    await viewer.getByLabel("New password").fill("short");
    await viewer.getByLabel("Confirm password").fill("short");
    await viewer.getByRole("button", { name: "Set password" }).click();
    await viewer.getByText("at least 12 characters").waitFor();

    const password = "correct horse battery";
    await viewer.getByLabel("New password").fill(password);
    await viewer.getByLabel("Confirm password").fill(`${password}!`);
    await viewer.getByText("The passwords differ.").waitFor();
    assert.equal(await viewer.getByRole("button", { name: "Set password" }).isDisabled(), true);
    await viewer.getByLabel("Confirm password").fill(password);
    await viewer.getByRole("button", { name: "Set password" }).click();
    await viewer.getByText("Console password set").waitFor();

    const again = await newConsolePage(browser, registry.url);
    await signIn(again, registry.url, `${TENANCY}/viewer`, password);
  });
});

/** The Identity area's sub-navigation link. */
function identityTab(page: Page, name: string) {
  return page.getByRole("navigation", { name: "Identity" }).getByRole("link", { name });
}

function dialog(page: Page, name: string) {
  return page.getByRole("dialog", { name });
}
