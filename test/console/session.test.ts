// Signing in to the console and out again, in Chromium against a real `berth serve`: auth token
// and console password, errors, next=, sign out ending the session on the server, a session that
// ends mid-use, the CSP, the keyboard's first stop, both color schemes, a narrow window.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { assertNoPageProblems, launchBrowser, newConsolePage, pageProblems, screenshot, signIn } from "../helpers/browser.js";
import { api, basic, call, OPERATOR, startAuthRegistry } from "../iam/support.js";

const PASSWORD = "correct horse battery staple";

test("console sign-in", async (t) => {
  // One registry and one browser for the file; each subtest its own context (own cookies).
  const browser = await launchBrowser(t);
  if (!browser) return;
  const registry = await startAuthRegistry();
  t.after(() => registry.close());
  const base = registry.url;

  const created = await api(registry, OPERATOR, registry.operatorToken).post("/tenancies", { namespace: "acme", adminUser: "ada" });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const adaToken: string = created.body.data.token;
  const set = await call(`${base}/api/v1/tenancies/acme/users/ada/console-password`, {
    method: "PUT",
    headers: { Authorization: basic("acme/ada", adaToken) },
    json: { password: PASSWORD },
  });
  assert.equal(set.status, 204, JSON.stringify(set.body));

  const page = () => newConsolePage(browser, base);
  const userButton = (p: Page, login: string) => p.getByRole("button", { name: `Signed in as ${login}` });
  const heading = (p: Page, name: string) => p.getByRole("heading", { level: 1, name }).waitFor();
  const path = (p: Page) => {
    const url = new URL(p.url());
    return url.pathname + url.search;
  };
  /** GET /api/v1/session with the page's cookies, as the browser would send them. */
  const sessionStatus = async (p: Page) => (await p.request.get(`${base}/api/v1/session`)).status();

  await t.test("an auth token signs in; the shell shows the tenancy, the user, the nav and the first area", async () => {
    const p = await page();
    await p.goto(`${base}/console/`);
    await p.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.match(path(p), /^\/console\/sign-in\?next=/);
    await screenshot(p, "sign-in");
    await signIn(p, base, OPERATOR, registry.operatorToken);
    await heading(p, "Repositories");
    assert.equal(path(p), "/console/repositories");
    assert.equal(await p.title(), "Repositories · Berth");
    await userButton(p, OPERATOR).waitFor();
    assert.equal(await p.locator(".tenancy").textContent(), "Tenancy: berth");
    const nav = p.getByRole("navigation", { name: "Console" });
    for (const area of ["Repositories", "Identity", "Retention", "Usage", "Audit log"]) await nav.getByRole("link", { name: area }).waitFor();
    await nav.getByRole("link", { name: "Audit log" }).click();
    await heading(p, "Audit log");
    assert.equal(path(p), "/console/audit");
    assert.equal(await nav.getByRole("link", { name: "Audit log" }).getAttribute("aria-current"), "page");
    await screenshot(p, "shell");
    await p.context().close();
  });

  await t.test("the nav shows only the areas the user may use, asked in one request", async () => {
    const ada = api(registry, "acme/ada", adaToken);
    assert.equal((await ada.post("/tenancies/acme/users", { name: "bob" })).status, 201);
    const minted = await ada.post("/tenancies/acme/users/bob/auth-tokens", { description: "console test" });
    assert.equal(minted.status, 201, JSON.stringify(minted.body));
    const p = await page();
    const asked: string[] = [];
    p.on("request", (request) => {
      if (new URL(request.url()).pathname === "/api/v1/permissions") asked.push(request.url());
    });
    await signIn(p, base, "acme/bob", minted.body.data.token);
    const nav = p.getByRole("navigation", { name: "Console" });
    // bob is in no group: no policy grants him anything, repositories or identities.
    await nav.getByRole("link", { name: "Identity" }).waitFor({ state: "detached" });
    for (const hidden of ["Identity", "Audit log", "Usage"]) assert.equal(await nav.getByRole("link", { name: hidden }).count(), 0, hidden);
    assert.equal(asked.length, 1, `one batched request: ${asked.join(", ")}`);
    assert.match(decodeURIComponent(asked[0]!), /operations=ListDockerRepositories,ListUsers,ListGroups,ListPolicies,GetRetentionPolicy,ReadUsage,ReadAuditEvents/);
    await p.context().close();
  });

  await t.test("a console password signs in too, into the user's own tenancy", async () => {
    const p = await page();
    await signIn(p, base, "acme/ada", PASSWORD);
    await userButton(p, "acme/ada").waitFor();
    assert.equal(await p.locator(".tenancy").textContent(), "Tenancy: acme");
    assert.equal(await sessionStatus(p), 200);
    await p.context().close();
  });

  await t.test("a wrong secret shows the API's error and signs nobody in", async () => {
    const p = await page();
    await p.goto(`${base}/console/sign-in`);
    await p.getByLabel("Login").fill("acme/ada");
    await p.getByLabel("Secret").fill("not the password at all");
    await p.getByRole("button", { name: "Sign in" }).click();
    const alert = p.getByRole("alert");
    await alert.waitFor();
    assert.match(await alert.innerText(), /invalid username, auth token or password/);
    assert.match(path(p), /^\/console\/sign-in/);
    assert.equal(await sessionStatus(p), 401);
    // The form keeps the login, and the secret field is still there to correct.
    assert.equal(await p.getByLabel("Login").inputValue(), "acme/ada");
    await p.context().close();
  });

  await t.test("next= brings the user back to the page they asked for", async () => {
    const p = await page();
    await p.goto(`${base}/console/settings/retention`);
    await p.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.equal(path(p), "/console/sign-in?next=%2Fsettings%2Fretention");
    await signIn(p, base, "acme/ada", PASSWORD);
    await heading(p, "Image retention");
    assert.equal(path(p), "/console/settings/retention");
    await p.context().close();
  });

  await t.test("a next= to another origin is ignored", async () => {
    const p = await page();
    await p.goto(`${base}/console/sign-in?next=${encodeURIComponent("https://evil.example/steal")}`);
    await signIn(p, base, "acme/ada", PASSWORD);
    await heading(p, "Repositories");
    assert.equal(new URL(p.url()).origin, base);
    assert.equal(path(p), "/console/repositories");
    // Signed in, the sign-in page only forwards: protocol-relative and backslash forms stay home too.
    for (const forged of ["//evil.example/x", "/\\evil.example", "javascript:alert(1)"]) {
      await p.goto(`${base}/console/sign-in?next=${encodeURIComponent(forged)}`);
      await heading(p, "Repositories");
      assert.equal(new URL(p.url()).origin, base, forged);
      assert.equal(path(p), "/console/repositories", forged);
    }
    await p.context().close();
  });

  await t.test("the user menu copies the docker login command with the real host and login", async () => {
    const p = await page();
    await signIn(p, base, "acme/ada", PASSWORD);
    await userButton(p, "acme/ada").click();
    await p.getByRole("button", { name: "Copy docker login command" }).click();
    await p.getByText("Copied", { exact: true }).first().waitFor();
    assert.equal(await p.evaluate(() => navigator.clipboard.readText()), `docker login ${registry.host} -u acme/ada`);
    // Escape closes the menu and gives the focus back to its button.
    await p.keyboard.press("Escape");
    await p.getByRole("button", { name: "Sign out" }).waitFor({ state: "hidden" });
    assert.equal(await p.evaluate(() => document.activeElement?.textContent), "Signed in as acme/ada");
    await p.context().close();
  });

  await t.test("sign out ends the session on the server: its cookie no longer works on the API", async () => {
    const p = await page();
    await signIn(p, base, OPERATOR, registry.operatorToken);
    const cookie = (await p.context().cookies(base)).find((c) => c.name === "berth_session");
    assert.ok(cookie, "the session cookie");
    assert.ok(cookie.httpOnly, "HttpOnly");
    assert.equal(cookie.sameSite, "Strict");
    const withCookie = () => fetch(`${base}/api/v1/session`, { headers: { Cookie: `berth_session=${cookie.value}` } });
    assert.equal((await withCookie()).status, 200);
    await userButton(p, OPERATOR).click();
    await p.getByRole("button", { name: "Sign out" }).click();
    await p.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.match(path(p), /^\/console\/sign-in/);
    assert.equal((await withCookie()).status, 401, "the old cookie is refused");
    // Back to an area: the sign-in page again.
    await p.goto(`${base}/console/usage`);
    await p.getByRole("heading", { name: "Sign in" }).waitFor();
    await p.context().close();
  });

  await t.test("a session that ends mid-use leads to sign-in with a message, then back to the page", async () => {
    const p = await page();
    await p.goto(`${base}/console/usage`);
    await signIn(p, base, "acme/ada", PASSWORD);
    await heading(p, "Usage");
    // Ended elsewhere (another tab signed out, an administrator changed the password, the idle timeout).
    const csrf = (await (await p.request.get(`${base}/api/v1/session`)).json()).data.csrfToken as string;
    const ended = await fetch(`${base}/api/v1/session`, {
      method: "DELETE",
      headers: { Cookie: `berth_session=${(await p.context().cookies(base)).find((c) => c.name === "berth_session")!.value}`, "X-CSRF-Token": csrf },
    });
    assert.equal(ended.status, 204);
    // Coming back to the tab is when the console asks.
    await p.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
    await p.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.equal(await p.getByRole("status").filter({ hasText: "session" }).innerText(), "Your session has ended; sign in again.");
    assert.equal(path(p), "/console/sign-in?next=%2Fusage");
    await signIn(p, base, "acme/ada", PASSWORD);
    await heading(p, "Usage");
    assert.equal(path(p), "/console/usage");
    await p.context().close();
  });

  await t.test("the CSP holds: the console runs without a violation, and one would be caught", async () => {
    const p = await page();
    const response = await p.goto(`${base}/console/sign-in`);
    assert.match(String(response?.headers()["content-security-policy"]), /script-src 'self'/);
    await signIn(p, base, OPERATOR, registry.operatorToken);
    assertNoPageProblems(p);
    // The check is real: an inline script is refused and reported.
    await p.evaluate(() => {
      const script = document.createElement("script");
      script.textContent = "window.injected = true";
      document.body.append(script);
    });
    const problems = pageProblems(p);
    for (let i = 0; problems.length === 0 && i < 100; i++) await p.waitForTimeout(20);
    assert.match(problems.join("\n"), /Content[- ]Security[- ]Policy/);
    assert.equal(await p.evaluate(() => (window as unknown as { injected?: boolean }).injected), undefined);
    // Provoked on purpose: closed first, so no late report of it fails the file.
    await p.context().close();
    problems.length = 0;
  });

  await t.test("the keyboard: Tab reaches the skip link first, which leads to the main content", async () => {
    const p = await page();
    await signIn(p, base, OPERATOR, registry.operatorToken);
    await p.goto(`${base}/console/repositories`);
    await heading(p, "Repositories");
    await p.keyboard.press("Tab");
    assert.equal(await p.evaluate(() => document.activeElement?.textContent), "Skip to content");
    await p.keyboard.press("Enter");
    assert.equal(await p.evaluate(() => document.activeElement?.id), "main");
    // A navigation moves focus to the new page's heading, which screen readers announce.
    await p.getByRole("link", { name: "Usage" }).click();
    await heading(p, "Usage");
    assert.equal(await p.evaluate(() => document.activeElement?.tagName), "H1");
    await p.context().close();
  });

  await t.test("light and dark follow the system setting", async () => {
    const p = await page();
    await signIn(p, base, OPERATOR, registry.operatorToken);
    const background = () => p.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await p.emulateMedia({ colorScheme: "light" });
    const light = await background();
    await screenshot(p, "shell-light");
    await p.emulateMedia({ colorScheme: "dark" });
    const dark = await background();
    await screenshot(p, "shell-dark");
    assert.notEqual(light, dark);
    const luminance = (rgb: string) => (rgb.match(/\d+/g) ?? []).slice(0, 3).reduce((sum, n) => sum + Number(n), 0);
    assert.ok(luminance(light) > luminance(dark), `light ${light} is lighter than dark ${dark}`);
    await p.context().close();
  });

  await t.test("at 1024 px the side nav becomes a row above the page, and nothing overflows", async () => {
    const p = await page();
    await p.setViewportSize({ width: 1024, height: 768 });
    await signIn(p, base, OPERATOR, registry.operatorToken);
    const nav = await p.getByRole("navigation", { name: "Console" }).boundingBox();
    const main = await p.getByRole("main").boundingBox();
    assert.ok(nav && main);
    assert.ok(nav.y + nav.height <= main.y + 1, "the nav is above the main content");
    assert.ok(main.width > 900, `the page keeps the width (${main.width} px)`);
    assert.equal(await p.evaluate(() => document.documentElement.scrollWidth), 1024, "no horizontal scroll");
    await screenshot(p, "shell-1024");
    await p.context().close();
  });
});
