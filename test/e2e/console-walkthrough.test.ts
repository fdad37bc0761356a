// The console as a newcomer meets it, one story in a real Chromium against a real `berth serve`
// with auth on and real clients: a tenancy's administrator sets up a group, a user and its policy
// (a typo flagged while typing, then fixed), generates the user's auth token (shown once, copied),
// which skopeo pushes and pulls with; the repository's pages show the push, who made it and the
// pull; public lets anonymous clients pull; a retention override previews what it would delete; a
// tag is deleted; sign-out ends the session; another tenancy sees nothing of it; a read-only user
// sees no write controls and the API refuses their writes anyway.
//
// BERTH_DOCS_SCREENSHOTS=docs/console also writes the screenshots docs/console.md shows there.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { containersEnv, makeScratch, removeScratch } from "../fixtures/clients.js";
import { buildRandomLayout } from "../fixtures/oci-layout.js";
import { launchBrowser, newConsolePage, screenshot, signIn } from "../helpers/browser.js";
import { needTools } from "../helpers/tools.js";
import { until } from "../helpers/until.js";
import { formatBytes } from "../../src/api/byte-format.js";
import { api, basic, call, expectStatus, OPERATOR, pushImage, startAuthRegistry } from "../iam/support.js";

const NS = "acme";
const REPO = `${NS}/web`;
const REPO_PATH = encodeURIComponent(REPO);
const TYPO = "Allow group Developers ot manage repos in tenancy";
const FIXED = "Allow group Developers to manage repos in tenancy";

/** The screenshot under test-results/, and with BERTH_DOCS_SCREENSHOTS the viewport also as <dir>/<name>.png. */
async function shot(page: Page, name: string, forDocs = false): Promise<void> {
  await screenshot(page, `walkthrough-${name}`);
  const docs = process.env.BERTH_DOCS_SCREENSHOTS;
  if (!forDocs || !docs) return;
  // The docs show the page, not the toasts of the steps before it (one may leave by itself meanwhile).
  if ((await page.getByRole("dialog").count()) === 0) {
    const dismiss = page.getByRole("button", { name: "Dismiss" });
    while ((await dismiss.count()) > 0) await dismiss.first().click({ timeout: 1000 }).catch(() => undefined);
  }
  await mkdir(resolve(docs), { recursive: true });
  await page.screenshot({ path: join(resolve(docs), `${name}.png`), type: "png" });
}

test("the console walkthrough: a newcomer's first push, pull, retention and sign-out, and what others see", { timeout: 180_000 }, async (t) => {
  const browser = await launchBrowser(t);
  if (!browser) return;
  if (!needTools(t, "skopeo")) return;
  const registry = await startAuthRegistry();
  t.after(() => registry.close());
  const scratch = await makeScratch();
  t.after(() => removeScratch(scratch));
  const clients = await containersEnv(scratch);
  const skopeo = (...args: string[]) => clients.run("skopeo", args);

  // The operator's part, through the API: the tenancy with its administrator, a read-only user,
  // and another tenancy.
  const operator = api(registry, OPERATOR, registry.operatorToken);
  const acme = await operator.post("/tenancies", { namespace: NS, adminUser: "boss" });
  expectStatus(acme, 201, "create acme");
  const boss = api(registry, `${NS}/boss`, acme.body.data.token);
  expectStatus(await boss.post(`/tenancies/${NS}/groups`, { name: "readers" }), 201, "readers");
  expectStatus(await boss.post(`/tenancies/${NS}/users`, { name: "reader" }), 201, "reader");
  expectStatus(await boss.post(`/tenancies/${NS}/groups/readers/members`, { user: "reader" }), 204, "reader in readers");
  expectStatus(await boss.post(`/tenancies/${NS}/policies`, { name: "Read", statements: ["Allow group readers to read repos in tenancy"] }), 201, "Read");
  const readerToken: string = (await boss.post(`/tenancies/${NS}/users/reader/auth-tokens`, { description: "console" })).body.data.token;
  const rival = await operator.post("/tenancies", { namespace: "rival", adminUser: "ann" });
  expectStatus(rival, 201, "create rival");

  const page = await newConsolePage(browser, registry.url);
  const heading = (name: string) => page.getByRole("heading", { level: 1, name });
  const dialog = (name: string) => page.getByRole("dialog", { name });
  const identityTab = (name: string) => page.getByRole("navigation", { name: "Identity" }).getByRole("link", { name });
  /** The table row with a cell that says exactly `text`. */
  const rowWith = (p: Page, text: string) => p.getByRole("row").filter({ has: p.getByRole("cell", { name: text, exact: true }) });
  let devToken = "";
  let pushed = "";

  await t.test("the tenancy administrator signs in", async () => {
    await signIn(page, registry.url, `${NS}/boss`, acme.body.data.token);
  });

  await t.test("Identity: a group, a user in it, and the group's policy (a typo flagged with its column, then fixed)", async () => {
    await page.getByRole("link", { name: "Identity" }).click();
    await heading("Users").waitFor();
    await identityTab("Groups").click();
    await page.getByRole("button", { name: "Create group" }).click();
    await dialog("Create group").getByLabel("Name").fill("Developers");
    await dialog("Create group").getByRole("button", { name: "Create group" }).click();
    await heading("Developers").waitFor();

    await identityTab("Users").click();
    await page.getByRole("button", { name: "Create user" }).click();
    await dialog("Create user").getByLabel("Name").fill("dev");
    await dialog("Create user").getByRole("button", { name: "Create user" }).click();
    await heading("dev").waitFor();
    await page.getByLabel("Group", { exact: true }).selectOption("Developers");
    await page.getByRole("button", { name: "Add to group" }).click();
    await page.getByRole("table", { name: "Groups of dev" }).getByRole("row", { name: /Developers/ }).waitFor();

    await identityTab("Policies").click();
    await page.getByRole("button", { name: "Create policy" }).click();
    await page.getByLabel("Name", { exact: true }).fill("DevPush");
    const editor = page.getByLabel("Statements");
    await editor.pressSequentially(TYPO, { delay: 10 });
    const problem = page.getByRole("listitem").filter({ hasText: `Line 1, column ${TYPO.indexOf(" ot ") + 2}: expected "to" but found "ot"` });
    await problem.waitFor();
    assert.equal(await editor.getAttribute("aria-invalid"), "true");
    const save = page.getByRole("button", { name: "Create policy" }).last();
    assert.equal(await save.isDisabled(), true, "no saving a bad statement");
    await shot(page, "policy-editor", true);

    await editor.fill(FIXED);
    await problem.waitFor({ state: "detached" });
    await save.click();
    await heading("DevPush").waitFor();
    assert.deepEqual((await boss.get(`/tenancies/${NS}/policies/DevPush`)).body.data.statements, [FIXED]);
  });

  await t.test("an auth token for the user, shown once and copied", async () => {
    await page.goto(`${registry.url}/console/iam/users/dev`);
    await heading("dev").waitFor();
    await page.getByRole("button", { name: "Generate token" }).click();
    await dialog("Generate auth token").getByLabel("Description").fill("laptop");
    await dialog("Generate auth token").getByRole("button", { name: "Generate" }).click();
    const once = dialog("Auth token generated");
    await once.getByText("This token is shown only once.", { exact: false }).waitFor();
    await once.getByText(`docker login ${registry.host} -u ${NS}/dev`).waitFor();
    await shot(page, "token-once", true);
    await once.getByRole("button", { name: "Copy token" }).click();
    await once.getByText("Copied").first().waitFor();
    devToken = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(devToken, await once.getByLabel("Auth token", { exact: true }).inputValue());
    await once.getByRole("button", { name: "Done" }).click();
    await once.waitFor({ state: "detached" });
  });

  await t.test("skopeo pushes with the copied token; the repository appears with its tag, size and pusher", async () => {
    const layout = join(scratch, "layout");
    await buildRandomLayout(layout, { tag: "v1" });
    await skopeo("copy", "--dest-tls-verify=false", "--dest-creds", `${NS}/dev:${devToken}`, `oci:${layout}:v1`, `docker://${registry.host}/${REPO}:1.0`);
    const tag = (await boss.get(`/repositories/${REPO_PATH}/tags`)).body.data[0] as { name: string; digest: string; size: number };
    assert.equal(tag.name, "1.0");
    pushed = tag.digest;

    await page.getByRole("link", { name: "Repositories" }).click();
    await heading("Repositories").waitFor();
    const listed = rowWith(page, REPO);
    await listed.waitFor();
    const repoSize = formatBytes((await boss.get(`/repositories/${REPO_PATH}`)).body.data.size);
    const listedCells = await listed.getByRole("cell").allTextContents();
    assert.ok(listedCells.includes(repoSize), `the repository's size ${repoSize} in ${listedCells}`);
    await shot(page, "repositories", true);

    await page.getByRole("link", { name: REPO }).click();
    await heading(REPO).waitFor();
    // The tag's row with its size.
    await rowWith(page, "1.0").getByRole("cell", { name: formatBytes(tag.size), exact: true }).waitFor();
    await page.getByRole("tab", { name: /Images/ }).click();
    const image = rowWith(page, "1.0");
    await image.getByRole("cell").filter({ hasText: /by acme\/dev$/ }).waitFor();
    const imageCells = await image.getByRole("cell").allTextContents();
    assert.ok(imageCells.some((c) => c.endsWith(`by ${NS}/dev`)), `pushed by dev, in ${imageCells}`);
    assert.ok(imageCells.includes("0last pulled never"), `not pulled yet, in ${imageCells}`);
    await image.getByRole("button", { expanded: false }).click();
    await page.getByRole("table", { name: "Layers" }).waitFor();
    await shot(page, "repository-image", true);
  });

  await t.test("skopeo pulls; after a reload the image shows one pull", async () => {
    await skopeo("copy", "--src-tls-verify=false", "--src-creds", `${NS}/dev:${devToken}`, `docker://${registry.host}/${REPO}:1.0`, `oci:${join(scratch, "pulled")}:1.0`);
    // Pulls are counted in memory and written about every second (src/registry/pulls.ts).
    const count = await until("the pull to be counted", async () => {
      const n: number = (await boss.get(`/repositories/${REPO_PATH}/images/${pushed}`)).body.data.pullCount;
      return n > 0 ? n : undefined;
    });
    assert.equal(count, 1);
    await page.reload();
    await page.getByRole("tab", { name: /Images/ }).click();
    await rowWith(page, "1.0").getByRole("cell").filter({ hasText: /^1last pulled / }).waitFor();
  });

  await t.test("made public, the repository is pulled by skopeo without credentials", async () => {
    assert.equal((await call(`${registry.url}/v2/${REPO}/manifests/1.0`)).status, 401, "private at first");
    await page.getByRole("tab", { name: /Tags/ }).click();
    const toggle = page.getByRole("switch", { name: /Public/ });
    assert.equal(await toggle.getAttribute("aria-checked"), "false");
    await toggle.click();
    await page.getByRole("status").getByText(`${REPO} is now public`).waitFor();
    await skopeo("copy", "--src-tls-verify=false", "--src-no-creds", `docker://${registry.host}/${REPO}:1.0`, `oci:${join(scratch, "anonymous")}:1.0`);
  });

  await t.test("Settings → Image retention: an override for the repository previews what it would delete", async () => {
    // A newer image, so that keeping only the newest one leaves 1.0 to delete.
    assert.equal(await pushImage(registry, REPO, "1.1", basic(`${NS}/dev`, devToken)), 201);
    await page.goto(`${registry.url}/console/repositories`);
    await page.getByRole("link", { name: "Retention", exact: true }).click();
    await heading("Image retention").waitFor();
    await page.getByRole("button", { name: "Create policy" }).click();
    const create = dialog("Create override policy");
    await create.getByLabel("Policy name").fill("web-newest");
    await create.getByLabel("Keep only the newest images of each repository").check();
    await create.getByLabel("Images to keep").fill("1");
    await create.getByRole("button", { name: "Create policy" }).click();
    await create.waitFor({ state: "detached" });
    const card = page.getByRole("article", { name: "web-newest" });
    await card.getByLabel("Repository to add to web-newest").selectOption(REPO);
    await card.getByRole("button", { name: "Add repository" }).click();
    await card.getByRole("list", { name: "Repositories of web-newest" }).getByRole("link", { name: REPO }).waitFor();
    await card.getByRole("button", { name: "Preview web-newest" }).click();
    const preview = page.getByRole("table", { name: "Images the retention policies would delete now" });
    await preview.getByRole("row", { name: /acme\/web/ }).filter({ hasText: pushed.slice(0, 19) }).filter({ hasText: "1.0" }).waitFor();
    assert.equal(await preview.getByRole("row").count(), 2, "a header and the one image");
    await preview.scrollIntoViewIfNeeded();
    await shot(page, "retention-preview", true);
  });

  await t.test("the tag is deleted from the repository page", async () => {
    await page.goto(`${registry.url}/console/repositories/${REPO}`);
    const row = rowWith(page, "1.0");
    await row.getByRole("button", { name: "Delete tag 1.0" }).click();
    await dialog("Delete tag 1.0?").getByRole("button", { name: "Delete tag" }).click();
    await row.waitFor({ state: "detached" });
    const tags = (await boss.get(`/repositories/${REPO_PATH}/tags`)).body.data.map((x: { name: string }) => x.name);
    assert.deepEqual(tags, ["1.1"]);

    // Its History tab tells who pushed and who deleted (audit events land within a second).
    type Event = { actor: string; action: string; target: string };
    const { push, deletion } = await until("the push and the deletion in the repository's audit log", async () => {
      const events = (await boss.get(`/tenancies/${NS}/audit?limit=200&repository=${REPO_PATH}`)).body.data as Event[];
      const push = events.find((e) => e.actor === `${NS}/dev`);
      const deletion = events.find((e) => e.actor === `${NS}/boss` && e.target.endsWith(":1.0"));
      return push && deletion ? { push, deletion } : undefined;
    });
    await page.reload();
    await page.getByRole("tab", { name: "History" }).click();
    const history = page.getByRole("table", { name: `History of ${REPO}, newest first` });
    for (const e of [push, deletion]) await history.getByRole("row").filter({ hasText: e.actor }).filter({ hasText: e.action }).first().waitFor();
  });

  await t.test("usage shows the repository's storage and its pulls", async () => {
    await page.getByRole("link", { name: "Usage", exact: true }).click();
    await heading("Usage").waitFor();
    await page.getByRole("table", { name: "Storage per repository" }).getByRole("row", { name: /acme\/web/ }).waitFor();
    await page.getByRole("img", { name: /^Pulls per day, .*: [1-9]\d* in all/ }).waitFor();
    await shot(page, "usage", true);
  });

  await t.test("sign out: the old session cookie is refused by the API", async () => {
    const cookie = (await page.context().cookies(registry.url)).find((c) => c.name === "berth_session");
    assert.ok(cookie, "the session cookie");
    const withCookie = () => fetch(`${registry.url}/api/v1/session`, { headers: { Cookie: `berth_session=${cookie.value}` } });
    assert.equal((await withCookie()).status, 200);
    await page.getByRole("button", { name: `Signed in as ${NS}/boss` }).click();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.equal((await withCookie()).status, 401, "the old cookie is refused");
  });

  await t.test("another tenancy's administrator sees none of it", async () => {
    const ann = api(registry, "rival/ann", rival.body.data.token);
    const other = await newConsolePage(browser, registry.url);
    await signIn(other, registry.url, "rival/ann", rival.body.data.token);
    await other.goto(`${registry.url}/console/repositories`);
    await other.getByRole("heading", { name: "Push your first image" }).waitFor();
    assert.equal(await other.getByRole("link", { name: /acme/ }).count(), 0);
    await other.goto(`${registry.url}/console/repositories/${REPO}`);
    await other.getByRole("alert").waitFor();
    assert.equal(await other.getByRole("row").count(), 0, "no tag of acme/web");

    // Nor whether it exists: acme/web is refused as an unknown repository is.
    const [web, unknown] = [await ann.get(`/repositories/${REPO_PATH}`), await ann.get(`/repositories/${encodeURIComponent(`${NS}/nothing`)}`)];
    assert.deepEqual([web.status, web.body.errors?.[0]?.code], [unknown.status, unknown.body.errors?.[0]?.code], JSON.stringify([web.body, unknown.body]));

    await other.goto(`${registry.url}/console/iam/policies`);
    await other.getByRole("heading", { level: 1, name: "Policies" }).waitFor();
    await other.getByRole("table", { name: "Policies of rival" }).or(other.getByText("No policies yet")).waitFor();
    assert.equal(await other.getByText("DevPush").count(), 0, "not acme's policy");

    // Audit events are written within a second: wait for rival's own sign-in before looking.
    await until("rival's sign-in in its audit log", async () => {
      const events = (await ann.get("/tenancies/rival/audit?limit=200")).body.data as { actor: string }[];
      return events.some((e) => e.actor === "rival/ann") ? true : undefined;
    });
    await other.goto(`${registry.url}/console/audit`);
    const table = other.getByRole("table", { name: "Audit events, newest first" });
    await table.getByRole("row", { name: /rival\/ann/ }).first().waitFor();
    // Its own refused look at acme/web is its own event; nothing acme's users did shows.
    assert.doesNotMatch((await table.textContent()) ?? "", /acme\/(boss|dev|reader)|DevPush|Developers|web-newest|laptop/);
  });

  await t.test("a read-only user sees no write controls, and the API refuses a write with the cookie and CSRF token", async () => {
    const reader = await newConsolePage(browser, registry.url);
    await signIn(reader, registry.url, `${NS}/reader`, readerToken);
    await reader.goto(`${registry.url}/console/repositories/${REPO}`);
    await reader.getByRole("heading", { level: 1, name: REPO }).waitFor();
    await rowWith(reader, "1.1").getByRole("button", { name: "Copy pull command for 1.1" }).waitFor();
    assert.equal(await reader.getByRole("switch").count(), 0);
    assert.equal(await reader.getByRole("button", { name: /^Delete/ }).count(), 0);
    const status = await reader.evaluate(async (path) => {
      const session = (await (await fetch("/api/v1/session")).json()) as { data: { csrfToken: string } };
      const res = await fetch(`/api/v1/repositories/${path}`, {
        method: "PATCH",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": session.data.csrfToken },
        body: JSON.stringify({ isPublic: false }),
      });
      return res.status;
    }, REPO_PATH);
    assert.equal(status, 403);
    assert.equal((await boss.get(`/repositories/${REPO_PATH}`)).body.data.isPublic, true, "still public");
  });
});
