// What one client may hold of a serving process: a body that stalls is cut off (408) after
// `http.bodytimeout`, a request head must arrive within `http.headertimeout`, and one address may
// keep at most `http.connectionsperaddress` connections open per serving process (then 429).
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { rawExchange } from "./support.js";

describe("time limits", () => {
  let registry: RunningRegistry;

  before(async () => {
    registry = await startRegistry({ args: ["--workers", "1"], env: { BERTH_HTTP_BODYTIMEOUT: "1s", BERTH_HTTP_HEADERTIMEOUT: "1s" } });
  });
  after(() => registry?.close());

  it("a PATCH whose body stalls is answered 408 with the envelope and closed", async () => {
    const started = await fetch(`${registry.url}/v2/ns/app/blobs/uploads/`, { method: "POST" });
    assert.equal(started.status, 202);
    const location = started.headers.get("location")!;
    const t0 = Date.now();
    const answer = await rawExchange(registry.host, {
      head: `PATCH ${location} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream`,
      body: Buffer.alloc(100_000),
      stallAfter: 1_000,
      timeoutMs: 8_000,
    });
    const waited = Date.now() - t0;
    assert.equal(answer.status, 408, answer.body);
    assert.equal(JSON.parse(answer.body).errors[0].code, "UNKNOWN");
    assert.match(JSON.parse(answer.body).errors[0].message, /sent nothing for 1 s/);
    assert.equal(answer.headers["connection"], "close");
    assert.ok(answer.closed, "closed after the answer");
    assert.ok(waited >= 900 && waited < 5_000, `cut after ${waited} ms`);
    // The registry goes on, and so does the upload session.
    const status = await fetch(`${registry.url}${location}`);
    assert.equal(status.status, 204);
  });

  it("a request head that stalls is answered 408 and closed", async () => {
    const t0 = Date.now();
    const answer = await new Promise<{ text: string; closedAfter: number }>((resolve) => {
      const socket = connect(Number(registry.host.split(":")[1]), "127.0.0.1");
      let text = "";
      socket.on("data", (d) => (text += d.toString()));
      socket.on("error", () => undefined);
      socket.on("close", () => resolve({ text, closedAfter: Date.now() - t0 }));
      socket.write("GET /v2/ HTTP/1.1\r\nHost: x\r\n"); // and never the blank line
    });
    assert.match(answer.text, /^HTTP\/1\.1 408 /);
    assert.match(answer.text, /"errors":\[\{"code":"UNKNOWN","message":"the request head did not arrive in time"\}\]/);
    assert.ok(answer.closedAfter >= 900 && answer.closedAfter < 5_000, `closed after ${answer.closedAfter} ms`);
  });

  it("a slow but steady body is not cut", async () => {
    const started = await fetch(`${registry.url}/v2/ns/slow/blobs/uploads/`, { method: "POST" });
    const location = started.headers.get("location")!;
    const status = await new Promise<number>((resolve, reject) => {
      const socket = connect(Number(registry.host.split(":")[1]), "127.0.0.1");
      let text = "";
      socket.on("data", (d) => {
        text += d.toString();
        const m = /^HTTP\/1\.1 (\d+)/.exec(text);
        if (m) {
          socket.destroy();
          resolve(Number(m[1]));
        }
      });
      socket.on("error", reject);
      socket.write(`PATCH ${location} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 6\r\n\r\n`);
      let sent = 0;
      const drip = setInterval(() => {
        socket.write("x");
        if (++sent === 6) clearInterval(drip);
      }, 400); // 2.4 s in all, never 1 s without a byte
    });
    assert.equal(status, 202);
  });
});

describe("connections per address", () => {
  let registry: RunningRegistry;
  const open: Socket[] = [];

  before(async () => {
    registry = await startRegistry({ args: ["--workers", "1"], env: { BERTH_HTTP_CONNECTIONSPERADDRESS: "3" } });
  });
  after(async () => {
    for (const s of open) s.destroy();
    await registry?.close();
  });

  it("beyond the limit a connection is answered 429 and closed; a freed slot serves again", async () => {
    const port = Number(registry.host.split(":")[1]);
    for (let i = 0; i < 3; i++) {
      const socket = connect(port, "127.0.0.1");
      await new Promise((r) => socket.once("connect", r));
      open.push(socket);
    }
    // Let the server count them before the next one arrives.
    await new Promise((r) => setTimeout(r, 100));
    const refused = await rawExchange(registry.host, { head: "GET /v2/ HTTP/1.1\r\nHost: x" });
    assert.equal(refused.status, 429);
    assert.equal(JSON.parse(refused.body).errors[0].code, "TOOMANYREQUESTS");
    assert.equal(refused.headers["connection"], "close");
    assert.ok(refused.closed);

    open.pop()!.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const served = await rawExchange(registry.host, { head: "GET /v2/ HTTP/1.1\r\nHost: x\r\nConnection: close" });
    assert.equal(served.status, 200);
  });
});
