// Admin verbs of the `berth` CLI, shaped like the `oci` CLI. They work offline on the data
// directory (or the configured metadata store) as the local operator, calling the same admin
// services as the console API; a running server sees each change on its next request (IamStore.accessVersion).
import type { Command } from "commander";
import { AdminError } from "../admin/errors.js";
import type { AdminServices } from "../admin/services.js";
import { ConfigError, loadConfig } from "../config/config.js";
import { LOCAL_OPERATOR } from "../iam/principal.js";

interface Common {
  config?: string;
  root?: string;
}

type Run = (admin: AdminServices, opts: Record<string, any>) => Promise<unknown>;

/** Opens the system, runs one admin call as the local operator, prints `{ "data": ... }`. */
function action(run: Run) {
  return async (opts: Record<string, any>, command: Command) => {
    const all = { ...command.optsWithGlobals(), ...opts } as Common & Record<string, any>;
    let app;
    try {
      const config = loadConfig({ file: all.config, flags: { "storage.filesystem.rootdirectory": all.root } });
      // Loaded on use: `berth serve`'s primary process must not carry the whole application.
      const { assemble } = await import("../server/assemble.js");
      const { createLogger } = await import("../server/logger.js");
      app = await assemble(config, createLogger("warn"));
      const data = await run(app.admin, all);
      process.stdout.write(`${JSON.stringify(data === undefined ? { ok: true } : { data }, null, 2)}\n`);
    } catch (err) {
      if (err instanceof AdminError || err instanceof ConfigError) {
        process.stderr.write(`berth: ${err.message}\n`);
        process.exitCode = err instanceof AdminError && err.kind === "not-found" ? 3 : 2;
        return;
      }
      throw err;
    } finally {
      await app?.close();
    }
  };
}

const actor = LOCAL_OPERATOR;
/** Accepted for clarity (and for scripts written for a later online mode): the CLI works offline only. */
const OFFLINE = "--offline";
const OFFLINE_HELP = "work on the data directory directly, as the local operator (the only mode today)";
const collect = (value: string, previous: string[] = []) => [...previous, value];
const int = (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a non-negative integer: ${value}`);
  return n;
};

export function registerAdminCommands(program: Command): void {
  const iam = program.command("iam").description("tenancies, users, groups, policies and auth tokens (offline, as the operator)");
  iam.option("-c, --config <file>", "configuration file (also BERTH_CONFIG)").option("--root <dir>", "data directory").option(OFFLINE, OFFLINE_HELP);

  const tenancy = iam.command("tenancy").description("tenancies (each has a namespace and an Administrators group)");
  tenancy
    .command("create")
    .requiredOption("--namespace <ns>", "lowercase namespace: the first path segment of its repositories")
    .option("--description <text>")
    .option("--repository-limit <n>", "repositories it may hold (default 500)", int)
    .option("--admin-user <name>", "also create this administrator and print its first auth token")
    .action(action((a, o) => a.tenancies.create(actor, { namespace: o.namespace, description: o.description, repositoryLimit: o.repositoryLimit, adminUser: o.adminUser })));
  tenancy.command("list").action(action((a) => a.tenancies.list(actor)));
  tenancy.command("get").requiredOption("--namespace <ns>").action(action((a, o) => a.tenancies.get(actor, o.namespace)));
  tenancy
    .command("update")
    .requiredOption("--namespace <ns>")
    .option("--repository-limit <n>", "", int)
    .option("--description <text>")
    .action(action((a, o) => a.tenancies.update(actor, o.namespace, { repositoryLimit: o.repositoryLimit, description: o.description })));
  tenancy.command("delete").requiredOption("--namespace <ns>").action(action((a, o) => a.tenancies.delete(actor, o.namespace)));

  const user = iam.command("user").description("users of a tenancy");
  user
    .command("create")
    .requiredOption("--tenancy <ns>")
    .requiredOption("--name <name>")
    .option("--description <text>")
    .action(action((a, o) => a.identities.createUser(actor, o.tenancy, { name: o.name, description: o.description })));
  user.command("list").requiredOption("--tenancy <ns>").action(action((a, o) => a.identities.listUsers(actor, o.tenancy)));
  user.command("get").requiredOption("--tenancy <ns>").requiredOption("--name <name>").action(action((a, o) => a.identities.getUser(actor, o.tenancy, o.name)));
  user.command("delete").requiredOption("--tenancy <ns>").requiredOption("--name <name>").action(action((a, o) => a.identities.deleteUser(actor, o.tenancy, o.name)));
  user
    .command("unlock")
    .description("lift the user's failed-login throttle (429) from every address, on every serving process")
    .requiredOption("--tenancy <ns>")
    .requiredOption("--user <name>")
    .action(action((a, o) => a.identities.unlockUser(actor, o.tenancy, o.user)));

  const group = iam.command("group").description("groups of a tenancy and their members");
  group
    .command("create")
    .requiredOption("--tenancy <ns>")
    .requiredOption("--name <name>")
    .option("--description <text>")
    .action(action((a, o) => a.identities.createGroup(actor, o.tenancy, { name: o.name, description: o.description })));
  group.command("list").requiredOption("--tenancy <ns>").action(action((a, o) => a.identities.listGroups(actor, o.tenancy)));
  group.command("delete").requiredOption("--tenancy <ns>").requiredOption("--name <name>").action(action((a, o) => a.identities.deleteGroup(actor, o.tenancy, o.name)));
  group
    .command("add-user")
    .requiredOption("--tenancy <ns>")
    .requiredOption("--group <name>")
    .requiredOption("--user <name>")
    .action(action((a, o) => a.identities.addMember(actor, o.tenancy, o.group, o.user)));
  group
    .command("remove-user")
    .requiredOption("--tenancy <ns>")
    .requiredOption("--group <name>")
    .requiredOption("--user <name>")
    .action(action((a, o) => a.identities.removeMember(actor, o.tenancy, o.group, o.user)));
  group.command("members").requiredOption("--tenancy <ns>").requiredOption("--group <name>").action(action((a, o) => a.identities.listMembers(actor, o.tenancy, o.group)));

  const policy = iam.command("policy").description("policies: statements in OCI's policy language");
  policy
    .command("create")
    .requiredOption("--tenancy <ns>")
    .requiredOption("--name <name>")
    .requiredOption("--statement <text>", "a policy statement (repeat for several)", collect)
    .option("--description <text>")
    .action(action((a, o) => a.policies.create(actor, o.tenancy, { name: o.name, description: o.description, statements: o.statement })));
  policy.command("list").requiredOption("--tenancy <ns>").action(action((a, o) => a.policies.list(actor, o.tenancy)));
  policy
    .command("update")
    .requiredOption("--tenancy <ns>")
    .requiredOption("--name <name>")
    .option("--statement <text>", "replaces all statements (repeat for several)", collect)
    .option("--description <text>")
    .action(action((a, o) => a.policies.update(actor, o.tenancy, o.name, { statements: o.statement, description: o.description })));
  policy.command("delete").requiredOption("--tenancy <ns>").requiredOption("--name <name>").action(action((a, o) => a.policies.delete(actor, o.tenancy, o.name)));

  const token = iam.command("auth-token").description("auth tokens (at most 2 per user; shown once)");
  token
    .command("create")
    .requiredOption("--tenancy <ns>")
    .requiredOption("--user <name>")
    .option("--description <text>", "", "")
    .action(action((a, o) => a.tokens.create(actor, o.tenancy, o.user, o.description)));
  token.command("list").requiredOption("--tenancy <ns>").requiredOption("--user <name>").action(action((a, o) => a.tokens.list(actor, o.tenancy, o.user)));
  token
    .command("delete")
    .requiredOption("--tenancy <ns>")
    .requiredOption("--user <name>")
    .requiredOption("--id <id>")
    .action(action((a, o) => a.tokens.delete(actor, o.tenancy, o.user, o.id)));

  iam
    .command("audit")
    .description("a tenancy's audit log, newest first")
    .requiredOption("--tenancy <ns>")
    .option("--limit <n>", "", int, 100)
    .action(action((a, o) => a.audit(actor, o.tenancy, o.limit)));
  iam.command("rotate-signing-key").description("sign new registry tokens with a fresh key").action(action((a) => a.rotateSigningKey(actor)));

  const repo = program.command("repo").description("repositories (offline, as the operator)");
  repo.option("-c, --config <file>", "configuration file (also BERTH_CONFIG)").option("--root <dir>", "data directory").option(OFFLINE, OFFLINE_HELP);
  repo
    .command("create")
    .requiredOption("--name <ns/repo>")
    .option("--public", "anyone may pull it without logging in")
    .action(action((a, o) => a.repositories.create(actor, o.name, { isPublic: Boolean(o.public) })));
  repo.command("list").requiredOption("--tenancy <ns>").action(action((a, o) => a.repositories.list(actor, o.tenancy)));
  repo.command("get").requiredOption("--name <ns/repo>").action(action((a, o) => a.repositories.get(actor, o.name)));
  repo
    .command("update")
    .requiredOption("--name <ns/repo>")
    .option("--public", "make it public")
    .option("--private", "make it private")
    .action(
      action((a, o) => {
        if (Boolean(o.public) === Boolean(o.private)) throw new AdminError("invalid", "give exactly one of --public or --private");
        return a.repositories.setVisibility(actor, o.name, Boolean(o.public));
      }),
    );
  repo.command("delete").requiredOption("--name <ns/repo>").action(action((a, o) => a.repositories.delete(actor, o.name)));
}
