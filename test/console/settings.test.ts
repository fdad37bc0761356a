// Settings → Image retention, Usage and the Audit log in a real browser against a real `berth
// serve` with auth on: an administrator edits the global policy (the API's validation message
// shown inline), creates an override for one repository and previews what it would delete; the
// usage page's bars and table match the API's numbers; the audit log shows those changes and
// filters them by action; a read-only user sees no write controls; another tenancy sees nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { launchBrowser, newConsolePage, screenshot, signIn } from "../helpers/browser.js";
import { until } from "../helpers/until.js";
import { formatBytes } from "../../src/api/byte-format.js";
import { api, basic, expectStatus, OPERATOR, pushImage, startAuthRegistry, type AuthRegistry } from "../iam/support.js";

test("console: retention, usage and audit", async (t) => {
  const registry: AuthRegistry = await startAuthRegistry({ BERTH_AUTH_RATELIMIT_PERUSERADDRESS: "1000", BERTH_AUTH_RATELIMIT_PERADDRESS: "1000" });
  t.after(() => registry.close());
  const browser = await launchBrowser(t);
  if (!browser) return;
  const secrets: Record<string, string> = {};
  const operator = api(registry, OPERATOR, registry.operatorToken);
  for (const ns of ["acme", "rival"]) {
    const created = await operator.post("/tenancies", { namespace: ns, adminUser: "boss" });
    expectStatus(created, 201, ns);
    secrets[`${ns}/boss`] = created.body.data.token;
  }
  const admin = api(registry, "acme/boss", secrets["acme/boss"]!);
  expectStatus(await admin.post("/tenancies/acme/groups", { name: "READERS" }), 201, "group");
  expectStatus(await admin.post("/tenancies/acme/users", { name: "rita" }), 201, "user");
  expectStatus(await admin.post("/tenancies/acme/groups/READERS/members", { user: "rita" }), 204, "member");
  expectStatus(await admin.post("/tenancies/acme/policies", { name: "Readers", statements: ["Allow group READERS to read repos in tenancy"] }), 201, "policy");
  secrets["acme/rita"] = (await admin.post("/tenancies/acme/users/rita/auth-tokens", {})).body.data.token;
  const auth = basic("acme/boss", secrets["acme/boss"]!);
  // web:v1 pushed twice: the first image is left untagged. api has two tagged images, db one.
  for (const [repo, tag] of [["acme/web", "v1"], ["acme/web", "v1"], ["acme/api", "v1"], ["acme/api", "v2"], ["acme/db", "v1"]] as const) {
    assert.equal(await pushImage(registry, repo, tag, auth), 201, `${repo}:${tag}`);
  }

  async function consoleAs(login: string): Promise<Page> {
    const page = await newConsolePage(browser!, registry.url);
    await signIn(page, registry.url, login, secrets[login]!);
    return page;
  }

  await t.test("retention: edit the global policy, create an override for one repository, preview what it deletes", async () => {
    const page = await consoleAs("acme/boss");
    await page.getByRole("link", { name: "Retention", exact: true }).click();
    await page.getByRole("heading", { name: "Image retention", level: 1 }).waitFor();
    await page.getByText("Retain all images").waitFor();

    // The global policy: a bad exempt tag is refused by the API, its message shown in the dialog.
    await page.getByRole("button", { name: "Edit global policy" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit global policy" });
    await dialog.getByLabel("Delete images untagged for a number of days").check();
    await dialog.getByLabel("Days untagged").fill("7");
    await dialog.getByLabel("Exempt tags").fill("prod, not a tag!");
    await dialog.getByRole("button", { name: "Save global policy" }).click();
    await dialog.getByRole("alert").filter({ hasText: /exempt tag "not a tag!"/ }).waitFor();
    await dialog.getByLabel("Exempt tags").fill("prod, release-*");
    await dialog.getByRole("button", { name: "Save global policy" }).click();
    await dialog.waitFor({ state: "detached" });
    const global = page.getByRole("region", { name: "Global policy" });
    await global.getByText("Delete images untagged for 7 days").waitFor();
    await global.getByText("prod, release-*").waitFor();
    const saved = (await admin.get("/tenancies/acme/retention/global")).body.data;
    assert.deepEqual(saved.rules, { notPulledForDays: null, untaggedForDays: 7, keepNewest: null, exemptTags: ["prod", "release-*"] });

    // An override keeping the newest image of acme/web.
    await page.getByRole("button", { name: "Create policy" }).click();
    const create = page.getByRole("dialog", { name: "Create override policy" });
    await create.getByLabel("Policy name").fill("web-newest");
    await create.getByLabel("Keep only the newest images of each repository").check();
    await create.getByLabel("Images to keep").fill("1");
    await create.getByRole("button", { name: "Create policy" }).click();
    await create.waitFor({ state: "detached" });
    const card = page.getByRole("article", { name: "web-newest" });
    await card.getByText("Keep only the newest 1 image of each repository").waitFor();
    await card.getByLabel("Repository to add to web-newest").selectOption("acme/web");
    await card.getByRole("button", { name: "Add repository" }).click();
    await card.getByRole("list", { name: "Repositories of web-newest" }).getByRole("link", { name: "acme/web" }).waitFor();
    assert.deepEqual((await admin.get("/tenancies/acme/retention/policies/web-newest")).body.data.repositories, ["acme/web"]);

    // Its preview: the untagged, older image of acme/web, with its size and the total.
    const images = (await admin.get("/repositories/acme%2Fweb/images")).body.data as { digest: string; size: number; tags: string[] }[];
    const untagged = images.find((i) => i.tags.length === 0)!;
    assert.ok(untagged, "web has an untagged image");
    await card.getByRole("button", { name: "Preview web-newest" }).click();
    await page.waitForURL(/\?preview=web-newest$/);
    const preview = page.getByRole("table", { name: "Images the retention policies would delete now" });
    const row = preview.getByRole("row", { name: /acme\/web/ });
    await row.filter({ hasText: untagged.digest.slice(0, 19) }).filter({ hasText: "untagged" }).filter({ hasText: "Beyond the newest kept" }).filter({ hasText: formatBytes(untagged.size) }).waitFor();
    assert.equal(await preview.getByRole("row").count(), 2, "a header and the one image");
    await page.getByText(`1 image would be deleted, freeing ${formatBytes(untagged.size)}.`).waitFor();
    await screenshot(page, "retention");

    // A reload keeps the policy previewed (it lives in the URL).
    await page.reload();
    await page.getByRole("table", { name: "Images the retention policies would delete now" }).getByRole("row", { name: /acme\/web/ }).waitFor();
  });

  await t.test("usage: the bars and the table show each repository's size as the API reports it", async () => {
    const page = await consoleAs("acme/boss");
    const repos = (await admin.get("/tenancies/acme/repositories")).body.data as { name: string; size: number }[];
    assert.equal(repos.length, 3);
    await page.getByRole("link", { name: "Usage", exact: true }).click();
    await page.getByRole("heading", { name: "Usage", level: 1 }).waitFor();
    const table = page.getByRole("table", { name: "Storage per repository" });
    for (const r of repos) await table.getByRole("row", { name: new RegExp(`${r.name}.*${formatBytes(r.size).replace(".", "\\.")}`) }).waitFor();
    const chart = page.getByRole("img", { name: /^Storage per repository:/ });
    const label = (await chart.getAttribute("aria-label"))!;
    for (const r of repos) assert.ok(label.includes(`${r.name} ${formatBytes(r.size)}`), `${label} names ${r.name}`);
    assert.equal(await chart.locator("rect.usage-chart-bar").count(), 3);
    const usage = (await admin.get("/tenancies/acme/usage")).body.data;
    await page.getByText(formatBytes(usage.storedBytes), { exact: true }).first().waitFor();
    await page.getByRole("img", { name: /^Pulls per day, .*: 0 in all$/ }).waitFor();
    await page.getByText("No storage quota is set for this tenancy.").waitFor();

    // A pull shows on today's column; a quota set by the operator shows as used / quota.
    const pulled = await fetch(`${registry.url}/v2/acme/api/manifests/v1`, { headers: { Authorization: auth, Accept: "application/vnd.oci.image.manifest.v1+json" } });
    assert.equal(pulled.status, 200);
    await pulled.arrayBuffer();
    await until("the pull counted", async () => ((await admin.get("/tenancies/acme/usage")).body.data.window.pulls === 1 ? true : undefined));
    expectStatus(await operator.patch("/tenancies/acme", { storageQuota: 10_000 }), 200, "quota");
    await page.reload();
    const today = new Date().toISOString().slice(0, 10);
    await page.getByRole("img", { name: `Storage quota: ${formatBytes(usage.storedBytes)} of ${formatBytes(10_000)} used (${Math.round((usage.storedBytes / 10_000) * 100)}%)` }).waitFor();
    await page.getByRole("img", { name: new RegExp(`^Pulls per day, .*: 1 in all; at most 1, on ${today}$`) }).waitFor();
    await page.getByRole("table", { name: "Storage per repository" }).getByRole("row", { name: /acme\/api .* 1$/ }).waitFor();
    await screenshot(page, "usage");
    await page.emulateMedia({ colorScheme: "dark" });
    await screenshot(page, "usage-dark");
    assert.equal(await page.getByRole("heading", { name: "Every tenancy" }).count(), 0, "a tenancy's Administrator sees their own");

    // The operator also sees every tenancy's, as GET /api/v1/usage reports it.
    secrets[OPERATOR] = registry.operatorToken;
    const ops = await consoleAs(OPERATOR);
    await ops.getByRole("link", { name: "Usage", exact: true }).click();
    const every = ops.getByRole("table", { name: "Every tenancy's usage" });
    const tenancies = (await operator.get("/usage")).body.data as { namespace: string; storedBytes: number; window: { pulls: number } }[];
    assert.deepEqual(tenancies.map((t) => t.namespace).sort(), ["acme", "berth", "rival"]);
    for (const t of tenancies) {
      await every.getByRole("row", { name: new RegExp(`^${t.namespace} ${formatBytes(t.storedBytes).replace(".", "\\.")} `) }).waitFor();
    }
    const perTenancy = ops.getByRole("img", { name: /^Storage per tenancy:/ });
    assert.match((await perTenancy.getAttribute("aria-label"))!, new RegExp(`^Storage per tenancy: acme ${formatBytes(usage.storedBytes).replace(".", "\\.")};`), "the largest first");
  });

  await t.test("audit: the changes just made with their actor, narrowed by action; another tenancy sees none of it", async () => {
    const page = await consoleAs("acme/boss");
    // Audit events are written within a second of the request: wait until the API has them.
    type Event = { actor: string; action: string; target: string };
    await until("the retention changes in acme's audit log", async () => {
      const events = (await admin.get("/tenancies/acme/audit?limit=200")).body.data as Event[];
      return events.some((e) => e.action === "CreateRetentionPolicy") && events.some((e) => e.action === "UpdateRetentionPolicy") ? true : undefined;
    });
    await page.getByRole("link", { name: "Audit log", exact: true }).click();
    const table = page.getByRole("table", { name: "Audit events, newest first" });
    await table.getByRole("row", { name: /acme\/boss.*CreateRetentionPolicy.*acme\/retention\/web-newest/ }).waitFor();
    await table.getByRole("row", { name: /acme\/boss.*UpdateRetentionPolicy/ }).first().waitFor();

    await page.getByLabel("Action").selectOption("CreateRetentionPolicy");
    await page.waitForURL(/\/console\/audit\?action=CreateRetentionPolicy$/);
    const rows = table.getByRole("row");
    await until("the log narrowed to CreateRetentionPolicy", async () => ((await rows.count()) === 2 ? true : undefined));
    await rows.filter({ hasText: "CreateRetentionPolicy" }).filter({ hasText: "acme/boss" }).waitFor();
    await screenshot(page, "audit");

    // The filter survives a reload; an actor that did nothing empties the log.
    await page.reload();
    await table.getByRole("row", { name: /CreateRetentionPolicy/ }).waitFor();
    assert.equal(await rows.count(), 2);
    await page.getByLabel("Actor").fill("acme/nobody");
    await page.getByLabel("Actor").press("Enter");
    await page.waitForURL(/actor=acme%2Fnobody/);
    await page.getByText("No events match the filters").waitFor();

    // rival's administrator: its own log only, no trace of acme; no acme policy in its retention page.
    const rival = await consoleAs("rival/boss");
    const rivalAdmin = api(registry, "rival/boss", secrets["rival/boss"]!);
    await until("rival's sign-in in its audit log", async () => {
      const events = (await rivalAdmin.get("/tenancies/rival/audit?limit=200")).body.data as Event[];
      return events.some((e) => e.actor === "rival/boss") ? true : undefined;
    });
    await rival.goto(`${registry.url}/console/audit`);
    const rivalTable = rival.getByRole("table", { name: "Audit events, newest first" });
    await rivalTable.getByRole("row", { name: /rival\/boss/ }).first().waitFor();
    const text = (await rivalTable.textContent()) ?? "";
    assert.doesNotMatch(text, /acme/);
    await rival.goto(`${registry.url}/console/settings/retention`);
    await rival.getByText("You have no override policies").waitFor();
    await rival.getByText("Retain all images").waitFor();
    assert.equal(await rival.getByText("web-newest").count(), 0);
  });

  await t.test("a read-only user sees the policies but no write control, and the API refuses writes anyway", async () => {
    const page = await consoleAs("acme/rita");
    const permissions = page.waitForResponse((r) => r.url().includes("/api/v1/permissions"));
    await page.goto(`${registry.url}/console/settings/retention`);
    await permissions;
    await page.getByRole("region", { name: "Global policy" }).getByText("Delete images untagged for 7 days").waitFor();
    const card = page.getByRole("article", { name: "web-newest" });
    await card.getByRole("button", { name: "Preview web-newest" }).waitFor();
    for (const name of ["Edit global policy", "Create policy", "Add repository", "Edit web-newest", "Delete web-newest", "Remove acme/web from web-newest"]) {
      assert.equal(await page.getByRole("button", { name }).count(), 0, `no ${name} button`);
    }
    assert.equal(await page.getByRole("link", { name: "Audit log", exact: true }).count(), 0, "no audit log in the nav");
    const refused = await api(registry, "acme/rita", secrets["acme/rita"]!).delete("/tenancies/acme/retention/policies/web-newest");
    expectStatus(refused, 403, "a reader deleting a policy");
  });
});
