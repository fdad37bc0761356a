// The console's repository pages in a real Chromium against a real `berth serve` with auth on:
// the list, filter and create; a repository's tags and images, an image's layers, config,
// platforms and referrers; copying pull commands; public/private; deleting a tag and a
// repository; and what a read-only user does not see.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { until } from "../helpers/until.js";
import { launchBrowser, newConsolePage, screenshot, signIn } from "../helpers/browser.js";
import { api, basic, call, expectStatus, OPERATOR, startAuthRegistry } from "../iam/support.js";
import { Api, descriptorOf, makeArtifact, makeImage, makeIndex, pushManifest, putManifest, type Manifest, type RequestOptions } from "../protocol/support.js";

const SBOM = "application/spdx+json";

/** The protocol suite's client, sending one user's Basic credentials with every request. */
class SignedApi extends Api {
  constructor(
    base: string,
    private readonly authorization: string,
  ) {
    super(base);
  }
  override request(method: string, target: string, options: RequestOptions = {}) {
    return super.request(method, target, { ...options, headers: { Authorization: this.authorization, ...options.headers } });
  }
}

test("the repository pages", async (t) => {
  const registry = await startAuthRegistry();
  t.after(() => registry.close());
  const operator = api(registry, OPERATOR, registry.operatorToken);
  const created = await operator.post("/tenancies", { namespace: "acme", adminUser: "boss" });
  expectStatus(created, 201, "create tenancy");
  const bossToken: string = created.body.data.token;
  const boss = api(registry, "acme/boss", bossToken);
  // A read-only user: the policy `read repos`.
  expectStatus(await boss.post("/tenancies/acme/groups", { name: "readers" }), 201, "group");
  expectStatus(await boss.post("/tenancies/acme/users", { name: "reader" }), 201, "user");
  expectStatus(await boss.post("/tenancies/acme/groups/readers/members", { user: "reader" }), 204, "member");
  expectStatus(await boss.post("/tenancies/acme/policies", { name: "read", statements: ["Allow group readers to read repos in tenancy"] }), 201, "policy");
  const readerToken: string = (await boss.post("/tenancies/acme/users/reader/auth-tokens", { description: "console" })).body.data.token;

  // acme/web: two images and an SBOM referring to v1; acme/multi: a two-platform index; acme/tools/cli.
  const push = new SignedApi(registry.url, basic("acme/boss", bossToken));
  const v1 = makeImage({ layers: 2, layerSize: 3000 });
  await pushManifest(push, "acme/web", v1, "v1");
  await pushManifest(push, "acme/web", makeImage({ layerSize: 1000 }), "v2");
  const sbom = makeArtifact({ artifactType: SBOM, subject: descriptorOf(v1) });
  await pushManifest(push, "acme/web", sbom);
  const parts: Manifest[] = [makeImage(), makeImage()];
  for (const p of parts) await pushManifest(push, "acme/multi", p);
  await pushManifest(push, "acme/multi", makeIndex(parts), "latest");
  await pushManifest(push, "acme/tools/cli", makeImage(), "1.0");

  const browser = await launchBrowser(t);
  if (!browser) return;
  const page = await newConsolePage(browser, registry.url);
  await signIn(page, registry.url, "acme/boss", bossToken);
  page.setDefaultTimeout(10_000);
  const heading = (p: Page, name: string) => p.getByRole("heading", { level: 1, name });
  /** The table row with a cell that says exactly `text` (a tag, a repository). */
  const rowWith = (p: Page, text: string) => p.getByRole("row").filter({ has: p.getByRole("cell", { name: text, exact: true }) });

  await t.test("the list shows each repository with its counts, size and visibility", async () => {
    await page.goto(`${registry.url}/console/repositories`);
    const web = rowWith(page, "acme/web");
    await web.waitFor();
    const cells = await web.getByRole("cell").allTextContents();
    const stats = (await boss.get("/repositories/acme%2Fweb")).body.data;
    assert.equal(stats.manifests, 3);
    assert.equal(stats.tags, 2);
    assert.ok(cells.includes("Private"), `${cells}`);
    assert.ok(cells.includes("3"), `image count in ${cells}`);
    assert.ok(cells.includes("2"), `tag count in ${cells}`);
    assert.ok(cells.some((c) => /^\d+(\.\d+)? (B|KiB)$/.test(c)), `a size in ${cells}`);
    assert.ok(cells.some((c) => /ago|now/.test(c)), `the last push in ${cells}`);
    for (const name of ["acme/multi", "acme/tools/cli"]) await page.getByRole("link", { name }).waitFor();
    await screenshot(page, "repositories");
  });

  await t.test("the filter keeps its text in the URL and shows only the matching repositories", async () => {
    await page.getByLabel("Filter repositories").fill("TOOL");
    await page.waitForURL(/[?&]q=TOOL/);
    await page.getByRole("link", { name: "acme/web" }).waitFor({ state: "detached" });
    await page.getByRole("link", { name: "acme/tools/cli" }).waitFor();
    await page.reload();
    await page.getByRole("link", { name: "acme/tools/cli" }).waitFor();
    assert.equal(await page.getByRole("link", { name: "acme/web" }).count(), 0);
    assert.equal(await page.getByLabel("Filter repositories").inputValue(), "TOOL");
  });

  await t.test("create shows the API's error inline, then creates and opens the repository", async () => {
    await page.goto(`${registry.url}/console/repositories`);
    await page.getByRole("button", { name: "Create repository" }).click();
    const dialog = page.getByRole("dialog", { name: "Create repository" });
    await dialog.getByLabel("Name").fill("Bad Name");
    await dialog.getByRole("button", { name: "Create" }).click();
    await dialog.getByText(/invalid repository name "acme\/Bad Name"/).waitFor();
    assert.equal(await dialog.getByLabel("Name").getAttribute("aria-invalid"), "true");
    await dialog.getByLabel("Name").fill("fresh");
    await dialog.getByRole("button", { name: "Create" }).click();
    await heading(page, "acme/fresh").waitFor();
    assert.equal(new URL(page.url()).pathname, "/console/repositories/acme/fresh");
    expectStatus(await boss.get("/repositories/acme%2Ffresh"), 200, "created");
  });

  await t.test("a repository's tags show digest and size, and copy their pull command", async () => {
    await page.goto(`${registry.url}/console/repositories`);
    await page.getByRole("link", { name: "acme/web" }).click();
    await heading(page, "acme/web").waitFor();
    assert.equal(new URL(page.url()).pathname, "/console/repositories/acme/web");
    const row = rowWith(page, "v1");
    await row.waitFor();
    const cells = await row.getByRole("cell").allTextContents();
    assert.ok(cells.some((c) => v1.digest.startsWith(c) && c.length > 10), `a short digest in ${cells}`);
    assert.equal(await row.getByTitle(v1.digest).count(), 1, "the full digest as the title");
    const v1Size = (await boss.get(`/repositories/acme%2Fweb/images/${v1.digest}`)).body.data.size;
    assert.ok(cells.includes(`${(v1Size / 1024).toFixed(1)} KiB`), `the image's size (${v1Size} B) in ${cells}`);
    assert.ok(cells.some((c) => /seconds? ago|now/.test(c)), `when it was pushed, in ${cells}`);
    await rowWith(page, "v2").waitFor();
    await row.getByRole("button", { name: "Copy pull command for v1" }).click();
    await page.getByText("Copied").first().waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `docker pull ${registry.host}/acme/web:v1`);
    await page.getByRole("button", { name: "Copy pull command by digest" }).click();
    assert.match(await page.evaluate(() => navigator.clipboard.readText()), new RegExp(`^docker pull ${registry.host}/acme/web@sha256:[0-9a-f]{64}$`));
    await screenshot(page, "repository");
  });

  await t.test("tags come a page at a time, and the filter asks the server", async () => {
    const image = makeImage();
    await pushManifest(push, "acme/many", image, "t000");
    const tags = Array.from({ length: 149 }, (_, i) => `t${String(i + 1).padStart(3, "0")}`);
    for (const batch of [tags.slice(0, 75), tags.slice(75)]) await Promise.all(batch.map(async (tag) => expectStatus(await putManifest(push, "acme/many", tag, image), 201, tag)));
    await page.goto(`${registry.url}/console/repositories/acme/many`);
    const table = page.getByRole("table", { name: "Tags of acme/many" });
    await rowWith(page, "t099").waitFor();
    assert.equal(await table.getByRole("row").count(), 101, "a header and the first 100 tags");
    await page.getByRole("button", { name: "Load more" }).click();
    await rowWith(page, "t149").waitFor();
    assert.equal(await table.getByRole("row").count(), 151);
    assert.equal(await page.getByRole("button", { name: "Load more" }).count(), 0, "no more pages");
    await page.getByLabel("Filter tags").fill("T14");
    await page.waitForURL(/[?&]tag=T14/);
    await rowWith(page, "t100").waitFor({ state: "detached" });
    // After a reload the first page is the server's filtered one: unfiltered, it would hold t000–t099 only.
    await page.reload();
    await rowWith(page, "t149").waitFor();
    assert.deepEqual(await table.getByRole("row").locator("td:first-child").allTextContents(), tags.filter((t) => t.startsWith("t14")));
  });

  await t.test("images show sizes and expand to layers, config and referrers", async () => {
    await page.goto(`${registry.url}/console/repositories/acme/web`);
    await page.getByRole("tab", { name: /Images/ }).click();
    const open = page.getByRole("button", { name: `Details of ${v1.digest.slice(0, 19)}` });
    await open.waitFor();
    const imageCells = await rowWith(page, "v1").getByRole("cell").allTextContents();
    assert.ok(imageCells.some((c) => /^\d+(\.\d+)? KiB$/.test(c)), `a size in ${imageCells}`);
    assert.ok(imageCells.some((c) => c.endsWith("by acme/boss")), `who pushed it, in ${imageCells}`);
    assert.ok(imageCells.includes("0last pulled never"), `not pulled yet, in ${imageCells}`);
    assert.equal(await open.getAttribute("aria-expanded"), "false");
    await open.click();
    assert.equal(await open.getAttribute("aria-expanded"), "true");
    const layers = page.getByRole("table", { name: "Layers" });
    await layers.waitFor();
    assert.equal(await layers.getByRole("row").count(), 3, "a header and two layers");
    await layers.getByText("application/vnd.oci.image.layer.v1.tar+gzip").first().waitFor();
    await layers.getByText("2.9 KiB").first().waitFor();
    await page.getByRole("region", { name: "Config" }).getByText("linux/amd64").waitFor();
    await page.getByRole("table", { name: "Referrers" }).getByText(SBOM).waitFor();
    await screenshot(page, "repository-image");
    // Usable at a 1024 px laptop width: the actions stay on screen.
    await page.setViewportSize({ width: 1024, height: 800 });
    const actions = await rowWith(page, "v1").getByRole("button", { name: `Delete image ${v1.digest.slice(0, 19)}` }).boundingBox();
    assert.ok(actions && actions.x + actions.width <= 1024, `the Delete button at ${JSON.stringify(actions)}`);
    await screenshot(page, "repository-image-1024");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await t.test("an index lists its platforms", async () => {
    await page.goto(`${registry.url}/console/repositories/acme/multi`);
    await page.getByRole("tab", { name: /Images/ }).click();
    const index = rowWith(page, "latest");
    await index.getByRole("button", { expanded: false }).click();
    const platforms = page.getByRole("table", { name: "Platforms" });
    await platforms.getByText("linux/amd64").waitFor();
    await platforms.getByText("linux/arm64").waitFor();
  });

  await t.test("making a repository public lets anonymous clients pull it", async () => {
    const anonymous = () => call(`${registry.url}/v2/acme/web/manifests/v1`);
    assert.equal((await anonymous()).status, 401);
    await page.goto(`${registry.url}/console/repositories/acme/web`);
    const toggle = page.getByRole("switch", { name: /Public/ });
    assert.equal(await toggle.getAttribute("aria-checked"), "false");
    await toggle.click();
    await page.getByRole("status").getByText("acme/web is now public").waitFor();
    assert.equal(await toggle.getAttribute("aria-checked"), "true");
    assert.equal((await anonymous()).status, 200);
    // Pulls are counted in memory and written about every second: the page shows them once written.
    await until("the pull to be counted", async () => ((await boss.get(`/repositories/acme%2Fweb/images/${v1.digest}`)).body.data.pullCount === 1 ? true : undefined));
    await page.reload();
    await page.getByRole("tab", { name: /Images/ }).click();
    const pulls = rowWith(page, "v1").getByRole("cell").filter({ hasText: /^1last pulled / });
    await pulls.waitFor();
    assert.match((await pulls.textContent()) ?? "", /^1last pulled (\d+ seconds? ago|now)$/);
    await page.getByRole("tab", { name: /Tags/ }).click();
  });

  await t.test("immutable tags and the retention policy change from the repository page", async () => {
    expectStatus(await boss.post("/tenancies/acme/retention/policies", { name: "keep-few", rules: { keepNewest: 5 } }), 201, "override");
    await page.reload();
    const immutable = page.getByRole("switch", { name: "Immutable tags" });
    await immutable.click();
    await page.getByRole("status").getByText("Tags of acme/web can no longer move or be deleted").waitFor();
    assert.equal((await boss.get("/repositories/acme%2Fweb")).body.data.immutableTags, true);
    await immutable.click();
    await page.getByRole("status").getByText("Tags of acme/web may move again").waitFor();
    assert.equal((await boss.get("/repositories/acme%2Fweb")).body.data.immutableTags, false);

    const retention = page.getByLabel("Retention policy");
    assert.equal(await retention.inputValue(), "");
    await retention.selectOption({ label: "keep-few" });
    await page.getByRole("status").getByText("acme/web follows the retention policy keep-few").waitFor();
    assert.deepEqual((await boss.get("/tenancies/acme/retention/policies/keep-few")).body.data.repositories, ["acme/web"]);
    await retention.selectOption({ label: "Global default" });
    await page.getByRole("status").getByText("acme/web follows the global retention policy").waitFor();
    assert.deepEqual((await boss.get("/tenancies/acme/retention/policies/keep-few")).body.data.repositories, []);
  });

  await t.test("deleting a tag asks first, then the tag is gone", async () => {
    // The last test's toasts sit over the row's buttons for a few seconds; a fresh page has none.
    await page.reload();
    const row = rowWith(page, "v2");
    await row.getByRole("button", { name: "Delete tag v2" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete tag v2?" });
    await dialog.getByRole("button", { name: "Delete tag" }).click();
    await row.waitFor({ state: "detached" });
    const tags = (await boss.get("/repositories/acme%2Fweb/tags")).body.data.map((t: { name: string }) => t.name);
    assert.deepEqual(tags, ["v1"]);
  });

  await t.test("the History tab tells what happened to the repository, newest first", async () => {
    // Audit events are written in batches (about a second): open the tab again until the deletion is in.
    const history = page.getByRole("table", { name: "History of acme/web, newest first" });
    const deletion = history.getByRole("row", { name: /DeleteTag acme\/web:v2/ });
    for (const deadline = Date.now() + 15_000; ; ) {
      await page.reload();
      await page.getByRole("tab", { name: "History" }).click();
      await history.waitFor();
      if ((await deletion.count()) > 0 || Date.now() > deadline) break;
      await page.waitForTimeout(250);
    }
    await deletion.waitFor({ timeout: 1_000 });
    const actions = await history.locator("tbody tr td:nth-child(3)").allTextContents();
    assert.equal(actions[0], "DeleteTag");
    assert.ok(actions.includes("PushManifest"), `pushes in ${actions}`);
  });

  await t.test("deleting an image asks first, then the image is gone", async () => {
    await page.getByRole("tab", { name: /Images/ }).click();
    const short = sbom.digest.slice(0, 19);
    await page.getByRole("button", { name: `Delete image ${short}` }).click();
    await page.getByRole("dialog", { name: `Delete image ${short}?` }).getByRole("button", { name: "Delete image" }).click();
    await page.getByRole("button", { name: `Details of ${short}` }).waitFor({ state: "detached" });
    expectStatus(await boss.get(`/repositories/acme%2Fweb/images/${sbom.digest}`), 404, "deleted image");
  });

  await t.test("deleting a repository needs its name typed", async () => {
    await page.goto(`${registry.url}/console/repositories/acme/fresh`);
    await page.getByRole("button", { name: "Delete repository" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete acme/fresh?" });
    const confirm = dialog.getByRole("button", { name: "Delete repository" });
    assert.ok(await confirm.isDisabled());
    await dialog.getByLabel("Type acme/fresh to confirm").fill("acme/fres");
    assert.ok(await confirm.isDisabled());
    await dialog.getByLabel("Type acme/fresh to confirm").fill("acme/fresh");
    await confirm.click();
    await heading(page, "Repositories").waitFor();
    expectStatus(await boss.get("/repositories/acme%2Ffresh"), 404, "deleted");
  });

  await t.test("a read-only user sees no write controls, and the API refuses them anyway", async () => {
    const reader = await newConsolePage(browser, registry.url);
    await signIn(reader, registry.url, "acme/reader", readerToken);
    await reader.goto(`${registry.url}/console/repositories`);
    await reader.getByRole("link", { name: "acme/web" }).waitFor();
    assert.equal(await reader.getByRole("button", { name: "Create repository" }).count(), 0);
    await reader.getByRole("link", { name: "acme/web" }).click();
    await heading(reader, "acme/web").waitFor();
    await rowWith(reader, "v1").getByRole("button", { name: "Copy pull command for v1" }).waitFor();
    assert.equal(await reader.getByRole("switch").count(), 0);
    assert.equal(await reader.getByRole("button", { name: /^Delete/ }).count(), 0);
    await reader.getByRole("tab", { name: /Images/ }).click();
    await rowWith(reader, "v1").waitFor();
    assert.equal(await reader.getByRole("button", { name: /^Delete/ }).count(), 0);
    assert.equal(await reader.getByRole("tab", { name: "History" }).count(), 0, "the history is the audit log's: readers of repositories do not see it");
    const asReader = api(registry, "acme/reader", readerToken);
    expectStatus(await asReader.patch("/repositories/acme%2Fweb", { isPublic: false }), 403, "PATCH");
    expectStatus(await asReader.delete("/repositories/acme%2Fweb/tags/v1"), 403, "DELETE tag");
    expectStatus(await asReader.delete("/repositories/acme%2Fweb"), 403, "DELETE repository");
  });

  await t.test("a newcomer of another tenancy sees how to push a first image, and nothing of acme", async () => {
    const newco = await operator.post("/tenancies", { namespace: "newco", adminUser: "ann" });
    expectStatus(newco, 201, "second tenancy");
    const other = await newConsolePage(browser, registry.url);
    await signIn(other, registry.url, "newco/ann", newco.body.data.token);
    await other.goto(`${registry.url}/console/repositories`);
    await other.getByRole("heading", { name: "Push your first image" }).waitFor();
    assert.equal(await other.getByRole("link", { name: /acme/ }).count(), 0);
    await other.getByRole("button", { name: "Copy login command" }).click();
    assert.equal(await other.evaluate(() => navigator.clipboard.readText()), `docker login ${registry.host} -u newco/ann`);
    await other.getByText(`docker push ${registry.host}/newco/my-app:1.0`).waitFor();
    await other.goto(`${registry.url}/console/repositories/acme/web`);
    await other.getByRole("alert").waitFor();
    assert.equal(await other.getByRole("row").count(), 0, "no tag of acme/web");
    await screenshot(other, "repositories-empty");
  });
});
