// `berth gc [--dry-run]` and `berth gc status`: garbage collection on demand, for operators.
// Starts a run through the admin API (remote, or --offline in this process) and follows its run
// record until it ends: progress lines on a terminal, one final line (or the JSON) otherwise.
import { getPriority, setPriority } from "node:os";
import type { Command } from "commander";
import type { GcRunView } from "../admin/gc.js";
import { apiError, CliError, EXIT } from "./exit-codes.js";
import { renderJson, renderTable } from "./output.js";
import { addCommonOptions, openTransport, outputFormat } from "./run.js";
import type { ApiCall, Transport } from "./transport.js";
import type { Opts } from "./command-spec.js";

/**
 * How often a running collection is asked how far it got: over HTTP soon at first (most runs are
 * short), then every half second; offline, where asking is one local query, every 10 ms, so the
 * command ends when the run does.
 */
const pollDelay = (remote: boolean, attempt: number) => (remote ? Math.min(500, 25 * 2 ** attempt) : 10);
/** The offline collector's niceness by default: the serving processes on the machine come first. */
const OFFLINE_NICE = 10;

export function registerGcCommands(program: Command): void {
  const gc = program
    .command("gc")
    .description("collect garbage now: blobs no manifest references, abandoned uploads (operators)")
    .option("--dry-run", "count what would be removed; remove nothing")
    .option("--nice <n>", `with --offline: this process's niceness, 0-19 (default ${OFFLINE_NICE}: serving processes come first)`)
    .addHelpText("after", "\nExamples:\n  $ berth gc --dry-run\n  $ berth gc\n  $ berth gc --offline --root /var/lib/berth\n  $ berth gc status\n");
  addCommonOptions(gc).action(async (_opts: Opts, cmd: Command) => collect(cmd.optsWithGlobals()));
  const status = gc
    .command("status")
    .description("the current garbage collection, or the last one")
    .option("--id <id>", "one run, by the id `berth gc` printed");
  addCommonOptions(status).action(async (_opts: Opts, cmd: Command) => show(cmd.optsWithGlobals()));
}

async function collect(o: Opts): Promise<void> {
  const format = outputFormat(o);
  const nice = niceness(o.nice);
  const { transport, remote } = await openTransport(o);
  // Offline the collection runs in this process. Lowered after start-up, which stays quick: on
  // Linux niceness is per thread, so it applies to the main thread (the collection's queries and
  // bookkeeping) and to threads started later, not to the I/O threads already running.
  if (!remote && nice > 0) lowerPriority(nice);
  let run: GcRunView;
  try {
    run = await data(transport, { method: "POST", path: "/gc", body: { dryRun: Boolean(o.dryRun) } });
    const terminal = process.stderr.isTTY === true;
    if (terminal) process.stderr.write(`garbage collection ${run.id} started${run.dryRun ? " (dry run)" : ""}\n`);
    let shown = "";
    for (let attempt = 0; run.state === "running"; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, pollDelay(remote, attempt)));
      run = await data(transport, { method: "GET", path: `/gc/${encodeURIComponent(run.id)}` });
      const line = progressLine(run);
      if (terminal && line !== shown && run.state === "running") process.stderr.write(`${line}\n`);
      shown = line;
    }
  } finally {
    await transport.close();
  }
  process.stdout.write(format === "json" ? renderJson({ data: run }) : `${summary(run)}\n`);
  if (run.state !== "succeeded") throw new CliError(`garbage collection ${run.state}${run.error ? `: ${run.error}` : ""}`, EXIT.other);
}

function niceness(value: unknown): number {
  if (value === undefined) return OFFLINE_NICE;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new CliError(`--nice: expected a whole number from 0 to 19, got ${String(value)}`, EXIT.invalid);
  return n;
}

/** Lowers this process's CPU priority; a system that refuses (no permission) leaves it as it is. */
function lowerPriority(nice: number): void {
  try {
    setPriority(Math.max(getPriority(), nice));
  } catch {
    // Running at the normal priority is still correct, only less polite.
  }
}

async function show(o: Opts): Promise<void> {
  const format = outputFormat(o);
  const { transport } = await openTransport(o);
  let run: GcRunView;
  try {
    run = await data(transport, { method: "GET", path: o.id ? `/gc/${encodeURIComponent(o.id)}` : "/gc" });
  } finally {
    await transport.close();
  }
  process.stdout.write(format === "json" ? renderJson({ data: run }) : renderTable(run));
}

async function data(transport: Transport, call: ApiCall): Promise<GcRunView> {
  const answer = await transport.send(call);
  if (answer.status < 200 || answer.status >= 300) throw apiError(answer.status, answer.body, answer.retryAfter);
  return (answer.body as { data: GcRunView }).data;
}

function counts(run: GcRunView): string {
  const c = run.result ?? run.progress;
  return `${c.manifests} manifests, ${c.blobs} blobs (${bytes(c.bytes)}), ${c.uploads} uploads`;
}

function progressLine(run: GcRunView): string {
  return `  ${run.progress.phase}: ${counts(run)} so far`;
}

function summary(run: GcRunView): string {
  const seconds = run.finishedAt ? ` in ${((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)} s` : "";
  if (run.state !== "succeeded") return `garbage collection ${run.id} ${run.state} after ${counts(run)}`;
  return `garbage collection ${run.id} ${run.dryRun ? "would remove" : "removed"} ${counts(run)}${seconds}`;
}

function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}
