// Builds the admin verbs of `berth` from the command table and runs one: pick the transport
// (the profile's user over HTTP, or --offline as the local operator), send, print.
import type { Command } from "commander";
import { int, type CommandSpec, type Opts } from "./command-spec.js";
import { COMMANDS, GROUPS } from "./commands.js";
import { apiError, CliError, EXIT } from "./exit-codes.js";
import { openOffline } from "./offline.js";
import { defaultFormat, parseFormat, renderJson, renderTable, type Format } from "./output.js";
import { profileName, Profiles } from "./profiles.js";
import { HttpTransport, type Transport } from "./transport.js";

/** Options every admin verb takes (and `iam`, `repo`, `image` before their subcommand). */
export function addCommonOptions(command: Command): Command {
  return command
    .option("--profile <name>", "the login profile to act as (also BERTH_PROFILE; default: default)")
    .option("-o, --output <format>", "json or table (default: table on a terminal, json otherwise)")
    .option("--offline", "no server: run in-process on the data directory as the local operator")
    .option("--root <dir>", "offline: the data directory (implies --offline)")
    .option("-c, --config <file>", "offline: the configuration file (implies --offline; also BERTH_CONFIG)");
}

export function outputFormat(o: Opts): Format {
  if (o.output === undefined) return defaultFormat(process.stdout.isTTY);
  try {
    return parseFormat(o.output);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.invalid);
  }
}

export function registerAdminCommands(program: Command): void {
  const groups = new Map<string, Command>([["", program]]);
  for (const group of GROUPS) {
    const parent = groups.get(group.path.slice(0, -1).join(" "))!;
    const command = parent.command(group.path.at(-1)!).description(group.summary).addHelpText("after", `\nExample:\n  $ ${group.example}\n`);
    if (group.path.length === 1) addCommonOptions(command);
    groups.set(group.path.join(" "), command);
  }
  for (const spec of COMMANDS) {
    const parent = groups.get(spec.path.slice(0, -1).join(" "))!;
    const command = parent.command(spec.path.at(-1)!).description(spec.summary);
    for (const o of spec.options) {
      if (o.required) command.requiredOption(o.flags, o.description, o.parse as never, o.default as never);
      else if (o.parse) command.option(o.flags, o.description, o.parse as never, o.default as never);
      else command.option(o.flags, o.description, o.default as never);
    }
    if (spec.list) {
      command.option("--limit <n>", "at most this many (1..1000; the API's default: 100)", int).option("--cursor <cursor>", "continue a list where the previous page ended");
    }
    addCommonOptions(command);
    command.addHelpText("after", `\nExample${spec.examples.length > 1 ? "s" : ""}:\n${spec.examples.map((e) => `  $ ${e}`).join("\n")}\n`);
    command.action(async (_opts: Opts, cmd: Command) => runCommand(spec, cmd.optsWithGlobals()));
  }
}

async function runCommand(spec: CommandSpec, o: Opts): Promise<void> {
  const format = outputFormat(o);
  const call = spec.call(o);
  if (spec.list) {
    const query: Record<string, string> = { ...call.query };
    if (o.limit !== undefined) query.limit = String(o.limit);
    if (o.cursor !== undefined) query.cursor = o.cursor;
    call.query = query;
  }
  const { transport, remote } = await openTransport(o);
  let answer;
  try {
    answer = await transport.send(call);
  } finally {
    await transport.close();
  }
  if (answer.status >= 400 || answer.status < 200) {
    const error = apiError(answer.status, answer.body, answer.retryAfter);
    if (remote && answer.status === 401) error.message += "; log in again with `berth login <url>`";
    throw error;
  }
  print(format, answer.body, spec, o);
}

function print(format: Format, body: unknown, spec: CommandSpec, o: Opts): void {
  if (body === undefined) {
    // 204: nothing to print for a script; a person gets a confirmation
    if (format === "table") process.stdout.write(`${spec.done?.(o) ?? "done"}\n`);
    return;
  }
  if (format === "json") {
    process.stdout.write(renderJson(body));
    return;
  }
  const envelope = body as { data?: unknown; next?: unknown };
  process.stdout.write(renderTable("data" in envelope ? envelope.data : body, spec.columns));
  if (typeof envelope.next === "string") process.stderr.write(`more: add --cursor ${envelope.next}\n`);
}

/** --offline (or --root/--config) runs in-process; otherwise the profile's user over HTTP. */
export async function openTransport(o: Opts): Promise<{ transport: Transport; remote: boolean }> {
  if (o.offline || o.root !== undefined || o.config !== undefined) return { transport: await openOffline({ root: o.root, config: o.config }), remote: false };
  const name = profileName(o.profile);
  const profile = await new Profiles().get(name);
  if (!profile) {
    const which = name === "default" ? "" : ` --profile ${name}`;
    throw new CliError(`not logged in${which ? ` (profile ${name})` : ""}: run \`berth login${which} <url>\`, or on the registry's machine add --offline --root <dir>`, EXIT.denied);
  }
  return { transport: new HttpTransport(profile), remote: true };
}
