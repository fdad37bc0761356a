// The console's static serving (src/server/console.ts) over real sockets: security headers,
// caching, the app's route fallback, path traversal, methods, and the switches that turn it off.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, request, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BUILT_CONSOLE, CONSOLE_CSP, consoleHandler } from "../../src/server/console.js";
import type { RequestFacts } from "../../src/server/access-log.js";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { until } from "../helpers/until.js";
import { startAuthRegistry, type AuthRegistry } from "../iam/support.js";

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request with `path` sent exactly as written (no client-side normalisation of `..`). */
function raw(base: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: options.method ?? "GET", headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

function assertSecurityHeaders(reply: Reply, what: string): void {
  assert.equal(reply.headers["content-security-policy"], CONSOLE_CSP, `${what}: CSP`);
  assert.equal(reply.headers["x-content-type-options"], "nosniff", `${what}: nosniff`);
  assert.equal(reply.headers["referrer-policy"], "no-referrer", `${what}: referrer policy`);
}

describe("the console's static files", () => {
  let registry: AuthRegistry;
  let index: Reply;
  let script: string;
  let stylesheet: string;

  before(async () => {
    registry = await startAuthRegistry();
    index = await raw(registry.url, "/console/");
    script = /<script[^>]* src="([^"]+)"/.exec(index.body)?.[1] ?? "";
    stylesheet = /<link[^>]* rel="stylesheet"[^>]* href="([^"]+)"|<link[^>]* href="([^"]+\.css)"/.exec(index.body)?.slice(1).find(Boolean) ?? "";
  });
  after(() => registry?.close());

  test("/console redirects to /console/, keeping the query", async () => {
    const reply = await raw(registry.url, "/console?x=1");
    assert.equal(reply.status, 301);
    assert.equal(reply.headers.location, "/console/?x=1");
    assertSecurityHeaders(reply, "redirect");
  });

  test("index.html: no inline script or style, revalidated on every use, with the security headers", () => {
    assert.equal(index.status, 200);
    assert.match(String(index.headers["content-type"]), /^text\/html; charset=utf-8$/);
    assert.equal(index.headers["cache-control"], "no-cache");
    assert.ok(index.headers.etag, "an ETag");
    assert.ok(index.headers["last-modified"], "a Last-Modified");
    assertSecurityHeaders(index, "index.html");
    assert.match(index.body, /<div id="root">/);
    for (const tag of index.body.match(/<script\b[^>]*>/g) ?? []) assert.match(tag, /\bsrc="\/console\/assets\//, `an external script: ${tag}`);
    assert.doesNotMatch(index.body, /<script\b[^>]*>[^<\s]/, "no inline script");
    assert.doesNotMatch(index.body, /<style\b|\sstyle=/i, "no inline style");
  });

  test("hashed assets: their content types, cached for a year as immutable", async () => {
    assert.match(script, /^\/console\/assets\/[\w-]+\.js$/);
    assert.match(stylesheet, /^\/console\/assets\/[\w-]+\.css$/);
    const js = await raw(registry.url, script);
    assert.equal(js.status, 200);
    assert.equal(js.headers["content-type"], "text/javascript; charset=utf-8");
    assert.equal(js.headers["cache-control"], "public, max-age=31536000, immutable");
    assertSecurityHeaders(js, "script");
    assert.equal(Number(js.headers["content-length"]), Buffer.byteLength(js.body));
    assert.equal(js.body, await readFile(join(BUILT_CONSOLE, script.slice("/console/".length)), "utf8"));
    const css = await raw(registry.url, stylesheet);
    assert.equal(css.status, 200);
    assert.equal(css.headers["content-type"], "text/css; charset=utf-8");
  });

  test("a matching If-None-Match or If-Modified-Since answers 304 without a body", async () => {
    const byTag = await raw(registry.url, "/console/", { headers: { "If-None-Match": String(index.headers.etag) } });
    assert.equal(byTag.status, 304);
    assert.equal(byTag.body, "");
    assertSecurityHeaders(byTag, "304");
    const byDate = await raw(registry.url, script, { headers: { "If-Modified-Since": String(index.headers["last-modified"]) } });
    assert.equal(byDate.status, 304);
    const stale = await raw(registry.url, "/console/", { headers: { "If-None-Match": 'W/"0-0"' } });
    assert.equal(stale.status, 200);
  });

  test("the app's own routes get index.html, dots and encoded slashes included", async () => {
    for (const path of ["/console/repositories", "/console/repositories/acme/web.v2", "/console/repositories/acme%2Fweb", "/console/iam/users/jane.doe", "/console/sign-in?next=%2Faudit"]) {
      const reply = await raw(registry.url, path);
      assert.equal(reply.status, 200, path);
      assert.equal(reply.body, index.body, path);
      assert.equal(reply.headers["cache-control"], "no-cache", path);
    }
  });

  test("a missing file is 404, with the security headers", async () => {
    for (const path of ["/console/assets/missing.js", "/console/assets/nested", "/console/missing.css", "/console/assets/"]) {
      const reply = await raw(registry.url, path);
      assert.equal(reply.status, 404, path);
      assert.match(String(reply.headers["content-type"]), /^text\/plain/);
      assertSecurityHeaders(reply, path);
    }
  });

  test("no spelling of a path leaves the console's directory", async () => {
    const attempts = [
      "/console/../package.json",
      "/console/assets/../../package.json",
      "/console/%2e%2e/%2e%2e/package.json",
      "/console/assets/%2e%2e/%2e%2e/%2e%2e/package.json",
      "/console/assets/..%2f..%2f..%2fpackage.json",
      "/console/assets/..%5c..%5c..%5cpackage.json",
      "/console/assets/index.js%00.png",
      "/console/%00",
      "/console/assets/%E0%A4%A",
      "/console/assets//etc/passwd",
      "/console/./index.html/..",
    ];
    for (const path of attempts) {
      const reply = await raw(registry.url, path);
      assert.ok(reply.status === 404 || (reply.status === 200 && reply.body === index.body), `${path}: ${reply.status}`);
      assert.doesNotMatch(reply.body, /"name": "berth"|root:x:0/, `${path} leaked a file`);
      assertSecurityHeaders(reply, path);
    }
  });

  test("HEAD answers the headers of GET without a body", async () => {
    const reply = await raw(registry.url, script, { method: "HEAD" });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, "");
    assert.ok(Number(reply.headers["content-length"]) > 0);
    assert.equal(reply.headers["cache-control"], "public, max-age=31536000, immutable");
  });

  test("other methods are 405 with Allow: GET, HEAD", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const reply = await raw(registry.url, "/console/", { method });
      assert.equal(reply.status, 405, method);
      assert.equal(reply.headers.allow, "GET, HEAD");
      assertSecurityHeaders(reply, method);
    }
  });

  test("every console request is in the access log", async () => {
    await raw(registry.url, "/console/access-logged-route");
    // Written when the response closes, which may be after the client has read it.
    const line = await until("the access-log line", async () => registry.output().split("\n").find((l) => l.includes('"path":"/console/access-logged-route"')), 5000);
    assert.match(line, /"route":"console"/);
    assert.match(line, /"status":200/);
  });

  test("the API's 401 carries no Basic challenge for a browser script (no credentials prompt), and keeps it otherwise", async () => {
    const script = await raw(registry.url, "/api/v1/session", { headers: { "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin" } });
    assert.equal(script.status, 401);
    assert.equal(script.headers["www-authenticate"], undefined);
    assert.equal(JSON.parse(script.body).errors[0].code, "UNAUTHORIZED");
    const cli = await raw(registry.url, "/api/v1/session");
    assert.equal(cli.status, 401);
    assert.match(String(cli.headers["www-authenticate"]), /^Basic /);
    const navigation = await raw(registry.url, "/api/v1/repositories", { headers: { "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin" } });
    assert.match(String(navigation.headers["www-authenticate"]), /^Basic /);
    // Node's fetch sends Sec-Fetch-Mode: cors without Sec-Fetch-Site: a program, not a page.
    const program = await raw(registry.url, "/api/v1/session", { headers: { "Sec-Fetch-Mode": "cors" } });
    assert.match(String(program.headers["www-authenticate"]), /^Basic /);
  });
});

describe("when the console is off", () => {
  test("console.enabled: false leaves /console to the registry's 404", async (t) => {
    const registry = await startAuthRegistry({ BERTH_CONSOLE_ENABLED: "false" });
    t.after(() => registry.close());
    const reply = await raw(registry.url, "/console/");
    assert.equal(reply.status, 404);
    assert.equal(reply.headers["content-security-policy"], undefined);
    assert.equal(JSON.parse(reply.body).errors[0].code, "NAME_UNKNOWN");
  });

  test("an open registry (no auth, so no admin API to sign in to) says why there is no console", async (t) => {
    const registry: RunningRegistry = await startRegistry();
    t.after(() => registry.close());
    const reply = await raw(registry.url, "/console/");
    assert.equal(reply.status, 404);
    assert.match(reply.body, /^the console needs auth \(auth\.enabled: true\)/);
    assertSecurityHeaders(reply, "open registry");
  });

  test("a console that was not built answers 404 with the command that builds it", async (t) => {
    const empty = await mkdtemp(join(tmpdir(), "berth-console-"));
    const handler = consoleHandler({ root: empty, authEnabled: true });
    const server = createServer((req, res) => {
      const facts: RequestFacts = { kind: "unknown", repository: undefined, user: undefined };
      const url = new URL(req.url ?? "/", "http://x");
      void handler(req, res, url.pathname, url.searchParams, facts).then((handled) => {
        if (!handled) res.writeHead(418).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    t.after(async () => {
      await new Promise((resolve) => server.close(resolve));
      await rm(empty, { recursive: true, force: true });
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const path of ["/console/", "/console/repositories"]) {
      const reply = await raw(base, path);
      assert.equal(reply.status, 404, path);
      assert.match(reply.body, /^the console is not built; run `npm run build`/);
      assert.equal(reply.body.trim().split("\n").length, 1, "one line");
      assertSecurityHeaders(reply, path);
    }
    assert.equal((await raw(base, "/consoles")).status, 418, "a longer prefix is not the console's");
  });
});
