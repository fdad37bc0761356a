// The messages between serving processes (src/server/peer-link.ts), between real processes:
// this process is the hub (the supervisor), the workers are forked children running a PeerSpoke.
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, it } from "node:test";
import type { PeerMessage } from "../../src/registry/peers.js";
import { PeerHub } from "../../src/server/peer-link.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/peer-process.js", import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

/** Forks a worker and joins it to `hub` once it is ready, as the worker pool does. */
async function worker(hub: PeerHub, index: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = fork(FIXTURE, [], { env: { ...process.env, PEER_NAME: `w${index}`, ...env } });
  children.push(child);
  await nextMessage(child, "ready");
  hub.join(index, child);
  child.once("exit", () => hub.leave(index));
  return child;
}

function nextMessage(child: ChildProcess, type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (message: Record<string, unknown>) => {
      if (message?.type !== type) return;
      child.off("message", on);
      resolve(message);
    };
    child.on("message", on);
  });
}

/** Has `child` ask or tell its peers, through the hub; what came back. */
async function from(child: ChildProcess, what: "ask" | "tell", message: PeerMessage): Promise<unknown> {
  const result = nextMessage(child, "result");
  child.send({ type: "do", what, message });
  return (await result).value;
}

const digestOf = (id: string): PeerMessage => ({ op: "upload-digest", id, size: 10 });

describe("peer link", () => {
  it("worker 0's question gets the answer of the worker that has one", async () => {
    const hub = new PeerHub();
    await worker(hub, 1);
    await worker(hub, 2, { PEER_HOLDS: "u2" });
    assert.equal(await hub.ask(digestOf("u2")), "w2");
  });

  it("a question nobody can answer resolves undefined once all have said so", async () => {
    const hub = new PeerHub();
    await worker(hub, 1);
    await worker(hub, 2);
    const started = Date.now();
    assert.equal(await hub.ask(digestOf("nobody")), undefined);
    assert.ok(Date.now() - started < 5_000, "answered at once, not after the time limit");
  });

  it("a worker's question reaches worker 0 and the other workers, not itself", async () => {
    const hub = new PeerHub();
    hub.answer(async (m) => (m.op === "upload-digest" && m.id === "u0" ? "w0" : undefined));
    const one = await worker(hub, 1, { PEER_HOLDS: "u1" });
    const two = await worker(hub, 2, { PEER_HOLDS: "u2" });
    assert.equal(await from(one, "ask", digestOf("u0")), "w0");
    assert.equal(await from(one, "ask", digestOf("u2")), "w2");
    assert.equal(await from(two, "ask", digestOf("u1")), "w1");
    assert.equal(await from(one, "ask", digestOf("u1")), null, "a worker is not asked its own question");
  });

  it("what a worker tells reaches worker 0 and every other worker", async () => {
    const hub = new PeerHub();
    const heardByHub: PeerMessage[] = [];
    hub.answer(async (m) => {
      heardByHub.push(m);
      return undefined;
    });
    const one = await worker(hub, 1);
    const two = await worker(hub, 2);
    const three = await worker(hub, 3);
    const heard = [nextMessage(two, "heard"), nextMessage(three, "heard")];
    const grew: PeerMessage = { op: "upload-grew", id: "u", size: 42 };
    let oneHeard = false;
    one.on("message", (m: { type?: string }) => (oneHeard ||= m?.type === "heard"));
    await from(one, "tell", grew);
    for (const h of await Promise.all(heard)) assert.deepEqual(h.message, grew);
    assert.deepEqual(heardByHub, [grew]);
    // The hub sent to every worker at once, and the others have heard it.
    assert.equal(oneHeard, false, "the teller does not hear itself");
    hub.tell({ op: "upload-gone", id: "u" });
    assert.deepEqual((await nextMessage(one, "heard")).message, { op: "upload-gone", id: "u" });
  });

  it("a worker that goes away while asked counts as no answer", async () => {
    const hub = new PeerHub();
    const silent = await worker(hub, 1, { PEER_SILENT: "1" });
    const asked = hub.ask(digestOf("u"));
    await new Promise((r) => setTimeout(r, 200));
    silent.kill("SIGKILL");
    const started = Date.now();
    assert.equal(await asked, undefined);
    assert.ok(Date.now() - started < 5_000);
  });

  it("ignores messages that are not its own or are malformed", async () => {
    const hub = new PeerHub();
    const one = await worker(hub, 1, { PEER_HOLDS: "u1" });
    one.send({ type: "peer", kind: "ask", seq: 1, message: { op: "upload-digest", id: 5 } });
    one.send({ type: "peer", kind: "tell", message: { op: "drop-tables", id: "u1" } });
    assert.equal(await hub.ask(digestOf("u1")), "w1", "still answering");
  });
});
