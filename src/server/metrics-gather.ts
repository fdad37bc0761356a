// `/metrics` answers for the whole machine, although a scrape lands on one serving process. That
// process asks its parent to gather (`metrics:gather`); the parent asks every serving process for
// its metrics (`metrics:collect` → `metrics:collected`, prom-client's `getMetricsAsJSON()` shape),
// sums them with prom-client's `AggregatorRegistry.aggregate` and answers with the text
// (`metrics:gathered`). Messages travel over the IPC channels the serving processes were forked
// with. A process that does not answer in time is left out, and the text says so.
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { AggregatorRegistry } from "prom-client";
import type { MetricsJson } from "./metrics.js";

/** How long a parent waits for its children's metrics, and a child for its parent's answer. */
export const GATHER_TIMEOUT_MS = 2_000;

type Own = () => Promise<MetricsJson>;

/** One end of an IPC channel: `process` in a child, the `ChildProcess` in its parent. */
type Channel = NodeJS.Process | ChildProcess;

/** Where this serving process stands among the machine's serving processes. */
export type MachineScope =
  /** the only serving process */
  | { kind: "alone" }
  /** a serving process whose IPC parent, the supervisor, gathers (`answerGather` there) */
  | { kind: "child"; timeoutMs?: number };

/** The machine's metrics as Prometheus text, as this serving process answers a scrape. */
export function machineMetrics(scope: MachineScope, own: Own): () => Promise<string> {
  switch (scope.kind) {
    case "alone":
      return async () => render([await own()]);
    case "child":
      return () => askParent(own, scope.timeoutMs ?? GATHER_TIMEOUT_MS);
  }
}

// ---------------------------------------------------------------------------------------------
// In a serving process

/** Answers the parent's `metrics:collect` with this process's metrics; returns a function that stops. */
export function answerCollectRequests(own: Own, channel: Channel = process): () => void {
  const listener = (message: unknown) => {
    const id = requestId(message, "metrics:collect");
    if (id === undefined) return;
    own().then(
      (metrics) => post(channel, { type: "metrics:collected", id, metrics }),
      (err: unknown) => post(channel, { type: "metrics:collected", id, error: (err as Error).message ?? String(err) }),
    );
  };
  channel.on("message", listener);
  return () => channel.off("message", listener);
}

/**
 * Asks the parent for the machine's metrics. When it does not answer within `timeoutMs` (or there
 * is no parent), answers with this process's own, saying so.
 */
export async function askParent(own: Own, timeoutMs: number, channel: Channel = process): Promise<string> {
  const reply = await request(channel, { type: "metrics:gather", id: randomUUID() }, "metrics:gathered", timeoutMs);
  if (typeof reply?.text === "string") return reply.text;
  const why = reply ? `the parent process could not gather (${String(reply.error)})` : `the parent process did not answer within ${timeoutMs} ms`;
  return render([await own(), processes(1, 0)], [`berth: ${why}; these are one serving process's metrics only`]);
}

// ---------------------------------------------------------------------------------------------
// In the parent of the serving processes

/**
 * Answers a serving process's `metrics:gather` with what `gather` returns (typically
 * `gatherFromWorkers`); the supervisor routes those messages here (WorkerPool.onMessage).
 */
export function answerGather(gather: () => Promise<string>): (message: unknown, child: ChildProcess) => void {
  return (message, child) => {
    const id = requestId(message, "metrics:gather");
    if (id === undefined) return;
    gather().then(
      (text) => post(child, { type: "metrics:gathered", id, text }),
      (err: unknown) => post(child, { type: "metrics:gathered", id, error: (err as Error).message ?? String(err) }),
    );
  };
}

/**
 * Asks every child for its metrics and sums them. A child that does not answer within `timeoutMs`, or exits first, is left out: a comment
 * line and `berth_metrics_processes{state="missing"}` say how many.
 */
export async function gatherFromWorkers(children: ChildProcess[], timeoutMs: number): Promise<string> {
  const answers = await Promise.all(
    children.map((child) => request(child, { type: "metrics:collect", id: randomUUID() }, "metrics:collected", timeoutMs)),
  );
  const sets = answers.flatMap((a) => (Array.isArray(a?.metrics) ? [a.metrics as MetricsJson] : []));
  const missing = answers.length - sets.length;
  const notes = missing > 0 ? [`berth: ${missing} of ${answers.length} serving processes did not answer within ${timeoutMs} ms; their metrics are missing`] : [];
  return render([...sets, processes(sets.length, missing)], notes);
}

// ---------------------------------------------------------------------------------------------

/** Sums metric families of one or more processes into Prometheus text, after comment lines. */
async function render(sets: MetricsJson[], notes: string[] = []): Promise<string> {
  const text = await AggregatorRegistry.aggregate(sets).metrics();
  return notes.map((n) => `# ${n}\n`).join("") + text;
}

function processes(answered: number, missing: number): MetricsJson {
  return [
    {
      name: "berth_metrics_processes",
      help: "Serving processes whose metrics this answer holds (answered) or lacks (missing)",
      type: "gauge",
      aggregator: "sum",
      values: [
        { labels: { state: "answered" }, value: answered },
        { labels: { state: "missing" }, value: missing },
      ],
    },
  ];
}

type Reply = Record<string, unknown>;

/** Sends `message` and resolves with the reply of `replyType` and the same id; undefined when none comes in time. */
function request(channel: Channel, message: { type: string; id: string }, replyType: string, timeoutMs: number): Promise<Reply | undefined> {
  return new Promise((resolve) => {
    const done = (reply: Reply | undefined) => {
      clearTimeout(timer);
      channel.off("message", onMessage);
      channel.off("disconnect", onGone);
      channel.off("exit", onGone);
      resolve(reply);
    };
    const onMessage = (reply: unknown) => {
      if (requestId(reply, replyType) === message.id) done(reply as Reply);
    };
    const onGone = () => done(undefined);
    const timer = setTimeout(onGone, timeoutMs);
    timer.unref();
    channel.on("message", onMessage);
    channel.once("disconnect", onGone);
    channel.once("exit", onGone);
    if (!post(channel, message)) done(undefined);
  });
}

/** Sends over the channel if it is open; a failed send is dropped (the asker times out), never thrown. */
function post(channel: Channel, message: object): boolean {
  if (!channel.connected || !channel.send) return false;
  // With a callback, a failed send is reported to it instead of as an 'error' event nobody handles.
  const send = channel.send.bind(channel) as (message: object, callback: (err: Error | null) => void) => boolean;
  try {
    send(message, () => undefined);
    return true;
  } catch {
    return false;
  }
}

function requestId(message: unknown, type: string): string | undefined {
  const m = message as { type?: unknown; id?: unknown } | null;
  return m?.type === type && typeof m.id === "string" && m.id.length <= 64 ? m.id : undefined;
}
