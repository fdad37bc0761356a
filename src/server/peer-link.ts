// Messages between the serving processes of one machine, over the IPC channels `berth serve` forks
// its workers with. The supervisor is the hub: what a worker tells, the hub passes to every other
// process; what a worker asks, the hub asks every other process and answers with the first
// answer that is not undefined. The supervisor holds no upload state itself (its own handler
// answers nothing). Messages are small JSON objects, never blob bytes.
import type { ChildProcess } from "node:child_process";
import { isPeerMessage, type PeerHandler, type PeerMessage, type Peers } from "../registry/peers.js";

/** How long a question may wait for the other processes; the asker then does without. */
const ASK_TIMEOUT_MS = 60_000;

type Wire =
  | { type: "peer"; kind: "tell"; message: PeerMessage }
  | { type: "peer"; kind: "ask"; seq: number; message: PeerMessage }
  | { type: "peer"; kind: "reply"; seq: number; value?: string };

const noAnswer: PeerHandler = async () => undefined;

/** The hub's side (the supervisor; index 0): it knows the workers and relays between them. */
export class PeerHub implements Peers {
  private readonly workers = new Map<number, ChildProcess>();
  private readonly questions = new Map<number, (worker: number, value: string | undefined) => void>();
  private handler = noAnswer;
  private nextSeq = 1;

  answer(handler: PeerHandler): void {
    this.handler = handler;
  }

  tell(message: PeerMessage): void {
    this.relay(message, 0);
  }

  ask(message: PeerMessage): Promise<string | undefined> {
    return this.gather(message, 0);
  }

  /** Worker `index` (≥ 1) started: it hears and answers from now on. */
  join(index: number, worker: ChildProcess): void {
    this.workers.set(index, worker);
    worker.on("message", (wire: unknown) => {
      if (!isWire(wire) || this.workers.get(index) !== worker) return;
      if (wire.kind === "tell") {
        this.relay(wire.message, index);
      } else if (wire.kind === "ask") {
        void this.gather(wire.message, index).then((value) => send(worker, { type: "peer", kind: "reply", seq: wire.seq, value }));
      } else {
        this.questions.get(wire.seq)?.(index, wire.value);
      }
    });
  }

  /** Worker `index` is gone: whatever it was asked counts as unanswered. */
  leave(index: number): void {
    this.workers.delete(index);
    for (const reply of [...this.questions.values()]) reply(index, undefined);
  }

  /** Everyone but `from` hears `message` (the hub by its handler). */
  private relay(message: PeerMessage, from: number): void {
    if (from !== 0) void this.handler(message).catch(() => undefined);
    for (const [index, worker] of this.workers) {
      if (index !== from) send(worker, { type: "peer", kind: "tell", message });
    }
  }

  /** Asks everyone but `from`; the first defined answer wins. */
  private gather(message: PeerMessage, from: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      const seq = this.nextSeq++;
      const waiting = new Set<number>();
      const finish = (value: string | undefined) => {
        clearTimeout(timer);
        this.questions.delete(seq);
        resolve(value);
      };
      const reply = (index: number, value: string | undefined) => {
        if (!waiting.delete(index)) return;
        if (value !== undefined) finish(value);
        else if (waiting.size === 0) finish(undefined);
      };
      const timer = setTimeout(() => finish(undefined), ASK_TIMEOUT_MS);
      this.questions.set(seq, reply);
      for (const [index, worker] of this.workers) {
        if (index === from) continue;
        waiting.add(index);
        send(worker, { type: "peer", kind: "ask", seq, message });
      }
      if (from !== 0) {
        waiting.add(0);
        this.handler(message).then(
          (value) => reply(0, value),
          () => reply(0, undefined),
        );
      }
      if (waiting.size === 0) finish(undefined);
    });
  }
}

/** A worker's side (1..n): everything goes through the hub. */
export class PeerSpoke implements Peers {
  private readonly pending = new Map<number, (value: string | undefined) => void>();
  private handler = noAnswer;
  private nextSeq = 1;

  constructor(private readonly channel: NodeJS.Process = process) {
    channel.on("message", (wire: unknown) => {
      if (!isWire(wire)) return;
      if (wire.kind === "tell") {
        void this.handler(wire.message).catch(() => undefined);
      } else if (wire.kind === "ask") {
        this.handler(wire.message).then(
          (value) => this.send({ type: "peer", kind: "reply", seq: wire.seq, value }),
          () => this.send({ type: "peer", kind: "reply", seq: wire.seq }),
        );
      } else {
        this.pending.get(wire.seq)?.(wire.value);
      }
    });
    // The hub is gone: nobody will answer.
    channel.on("disconnect", () => {
      for (const resolve of [...this.pending.values()]) resolve(undefined);
    });
  }

  answer(handler: PeerHandler): void {
    this.handler = handler;
  }

  tell(message: PeerMessage): void {
    this.send({ type: "peer", kind: "tell", message });
  }

  ask(message: PeerMessage): Promise<string | undefined> {
    if (!this.channel.connected) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const seq = this.nextSeq++;
      const done = (value: string | undefined) => {
        clearTimeout(timer);
        this.pending.delete(seq);
        resolve(value);
      };
      const timer = setTimeout(() => done(undefined), ASK_TIMEOUT_MS);
      this.pending.set(seq, done);
      this.send({ type: "peer", kind: "ask", seq, message });
    });
  }

  private send(wire: Wire): void {
    if (this.channel.connected) this.channel.send!(wire, undefined, {}, () => undefined);
  }
}

/** Sends unless the worker's channel has closed; a lost message is a question unanswered. */
function send(worker: ChildProcess, wire: Wire): void {
  if (worker.connected) worker.send(wire, undefined, {}, () => undefined);
}

function isWire(value: unknown): value is Wire {
  if (typeof value !== "object" || value === null) return false;
  const w = value as Record<string, unknown>;
  if (w.type !== "peer") return false;
  if (w.kind === "tell") return isPeerMessage(w.message);
  if (w.kind === "ask") return Number.isSafeInteger(w.seq) && isPeerMessage(w.message);
  return w.kind === "reply" && Number.isSafeInteger(w.seq) && (w.value === undefined || typeof w.value === "string");
}
