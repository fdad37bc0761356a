// A real browser for the console's tests: Debian's Chromium driven by playwright-core (no browser
// download, ever). Missing Chromium skips a test, except on CI (CI=true), where it fails it.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** test-results/screenshots/ at the repository's top (this file is dist/test/helpers/browser.js). */
export const SCREENSHOTS = fileURLToPath(new URL("../../../test-results/screenshots/", import.meta.url));

/** Chromium for the rest of test `t`, closed when it ends; undefined (test skipped) when absent. */
export async function launchBrowser(t: TestContext): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === "true") throw new Error(`${CHROMIUM} is missing: .ci/install.sh installs the chromium package`);
    t.skip("chromium missing");
    return undefined;
  }
  // Root needs --no-sandbox; the rest keeps a shared 2-core machine quiet.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  t.after(async () => {
    const reported = (pagesOf.get(browser) ?? []).flatMap((page) => problemsOf.get(page) ?? []);
    await browser.close();
    if (reported.length > 0) throw new Error(`the console reported:\n${reported.join("\n")}`);
  });
  return browser;
}

/** What a page logged that fails its test: uncaught errors, CSP violations, console errors. */
const problemsOf = new WeakMap<Page, string[]>();
const pagesOf = new WeakMap<Browser, Page[]>();

/**
 * A fresh context (its own cookies) at 1280×800 with clipboard access. Any uncaught page error or
 * Content-Security-Policy violation fails the test: at once in `signIn`, `screenshot` and
 * `assertNoPageProblems`, and at the latest when the browser closes.
 */
export async function newConsolePage(browser: Browser, baseUrl: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: baseUrl });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(baseUrl).origin });
  // A missing element fails in seconds with its locator named, not after playwright's 30 s.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems: string[] = [];
  problemsOf.set(page, problems);
  pagesOf.set(browser, [...(pagesOf.get(browser) ?? []), page]);
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (message) => {
    const text = message.text();
    // A refused request the app expects (a 401 sign-in, a 404 the page handles) is logged by
    // Chromium as a console error too; only CSP and script errors are the app's fault.
    if (/Content[- ]Security[- ]Policy|Refused to/i.test(text)) problems.push(`CSP violation: ${text}`);
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`Refused to load: Content-Security-Policy ${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  return page;
}

/** What `page` reported so far (the live list: a test that provokes a problem on purpose clears it). */
export function pageProblems(page: Page): string[] {
  return problemsOf.get(page) ?? [];
}

/** Throws when the page logged an error or a CSP violation since it was made. */
export function assertNoPageProblems(page: Page): void {
  const problems = problemsOf.get(page) ?? [];
  if (problems.length > 0) throw new Error(`the console page reported:\n${problems.join("\n")}`);
}

/** Signs in through the real sign-in form and waits for the shell. The page may be fresh, or on any console page while signed out. */
export async function signIn(page: Page, baseUrl: string, login: string, secret: string): Promise<void> {
  // A page already on the console goes to sign-in by itself (keeping its next=).
  if (!page.url().startsWith(`${baseUrl}/console/`)) await page.goto(`${baseUrl}/console/sign-in`);
  await page.getByLabel("Login").fill(login);
  await page.getByLabel("Secret").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Console" }).waitFor();
  assertNoPageProblems(page);
}

/** test-results/screenshots/<name>.png (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  assertNoPageProblems(page);
}
