// One failing request never takes the process down: the request listener of src/server/http.ts on
// a real http.Server, with handlers that fail in every way a handler can, reached over real
// sockets. This test process is the serving process: if a fault escaped, the test run would die.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { OpenAuthenticator } from "../../src/auth/authorizer.js";
import { OPEN_REGISTRY, RequestAuthorizer } from "../../src/authz/index.js";
import type { Registry } from "../../src/registry/registry.js";
import { createRequestListener, type ExtraHandler } from "../../src/server/http.js";
import { rawExchange } from "./support.js";

const logged: Record<string, unknown>[] = [];
const sink = new Writable({
  write(line: Buffer, _encoding, done) {
    logged.push(JSON.parse(line.toString()));
    done();
  },
});

const faults: Record<string, ExtraHandler> = {
  "/sync": () => {
    throw new TypeError("thrown synchronously");
  },
  "/async": async () => {
    await new Promise((r) => setTimeout(r, 5));
    throw new TypeError("thrown after an await");
  },
  "/after-headers": async (_req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": 100 });
    res.write("half of the answer");
    await new Promise((r) => setTimeout(r, 5));
    throw new TypeError("thrown after the headers were sent");
  },
  "/write-after-end": async (_req, res) => {
    res.end("done");
    res.write("and more"); // Node reports this as an "error" event on the response
    return true;
  },
  "/not-an-error": async () => {
    throw null; // eslint-disable-line no-throw-literal
  },
};

let server: Server;
let host: string;

before(async () => {
  const extra: ExtraHandler = (req, res, path, query, facts) => (faults[path] ? faults[path]!(req, res, path, query, facts) : Promise.resolve(false));
  const listener = createRequestListener({
    registry: {} as Registry, // only /v2/ routes reach it; these tests stay outside
    requests: new RequestAuthorizer(OPEN_REGISTRY, new OpenAuthenticator(), async () => true),
    authz: OPEN_REGISTRY,
    log: pino({ level: "debug" }, sink),
    extra: [extra],
  });
  server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function get(path: string): Promise<{ status: number; body: string } | "cut"> {
  try {
    const res = await fetch(`http://${host}${path}`);
    return { status: res.status, body: await res.text() };
  } catch {
    return "cut";
  }
}

describe("a fault in one request", () => {
  for (const path of ["/sync", "/async", "/not-an-error"]) {
    it(`${path}: ends that request with 500 and the error envelope`, async () => {
      const answer = await get(path);
      assert.notEqual(answer, "cut");
      const { status, body } = answer as { status: number; body: string };
      assert.equal(status, 500);
      assert.deepEqual(JSON.parse(body).errors[0].code, "UNKNOWN");
      assert.ok(logged.some((l) => l.msg === "request failed"), "the fault is logged");
    });
  }

  it("after the headers were sent: the connection is cut, the process goes on", async () => {
    assert.equal(await get("/after-headers"), "cut");
  });

  it("a write after the end is logged, not fatal", async () => {
    const answer = await get("/write-after-end");
    assert.deepEqual(answer, { status: 200, body: "done" });
    assert.ok(await waitFor(() => logged.some((l) => l.msg === "response error")));
  });

  it("a request body the failing handler left unread is discarded and the connection closed", async () => {
    const answer = await rawExchange(host, { head: "POST /sync HTTP/1.1\r\nHost: x", body: Buffer.alloc(2 * 1024 * 1024) });
    assert.equal(answer.status, 500);
    assert.equal(answer.headers["connection"], "close");
    assert.ok(answer.closed);
  });

  it("the server still answers afterwards", async () => {
    const answer = await get("/v2-nothing-here");
    assert.notEqual(answer, "cut");
    assert.equal((answer as { status: number }).status, 404);
  });
});

async function waitFor(condition: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 2_000;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return condition();
}
