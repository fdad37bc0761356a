// The command table: every admin verb of `berth` as the admin API request it makes. One table
// for both transports (remote as the profile's user, --offline as the local operator), so the
// two can never disagree; the policy on the server decides, not the CLI.
import { InvalidArgumentError } from "commander";
import { CliError, EXIT } from "./exit-codes.js";
import { RETENTION_COMMANDS, RETENTION_GROUPS } from "./retention-commands.js";
import type { ApiCall } from "./transport.js";
import { USAGE_COMMANDS } from "./usage-commands.js";

export type Opts = Record<string, any>;

export interface OptionSpec {
  flags: string;
  description: string;
  required?: boolean;
  parse?: (value: string, previous: any) => unknown;
  default?: unknown;
}

export interface CommandSpec {
  /** e.g. ["iam", "user", "create"] */
  path: string[];
  /** the one line of --help */
  summary: string;
  examples: string[];
  options: OptionSpec[];
  call(o: Opts): ApiCall;
  /** table columns, in order (a list answer); absent ones are skipped */
  columns?: string[];
  /** what table output says for an answer without a body (204) */
  done?(o: Opts): string;
  /** a list: takes --limit and --cursor (the API pages lists) */
  list?: boolean;
}

export interface GroupSpec {
  path: string[];
  summary: string;
  example: string;
}

const seg = encodeURIComponent;
const collect = (value: string, previous: string[] = []) => [...previous, value];
export const int = (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError("not a non-negative integer");
  return n;
};
/** only the fields given: an update leaves the others alone */
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const tenancyOpt: OptionSpec = { flags: "--tenancy <ns>", description: "the tenancy's namespace", required: true };
const nsOpt: OptionSpec = { flags: "--namespace <ns>", description: "the tenancy's namespace", required: true };
const nameOpt = (what: string): OptionSpec => ({ flags: "--name <name>", description: `the ${what}'s name`, required: true });
const descOpt: OptionSpec = { flags: "--description <text>", description: "a description" };
const repoOpt = (flag = "--name"): OptionSpec => ({ flags: `${flag} <ns/repo>`, description: "the repository, `<namespace>/<path>`", required: true });
const t = (ns: string) => `/tenancies/${seg(ns)}`;
const r = (name: string) => `/repositories/${seg(name)}`;

const TENANCY = ["namespace", "description", "repositoryLimit", "storageQuota", "createdAt"];
const USER = ["name", "description", "createdAt"];
const GROUP = ["name", "description", "createdAt"];
const POLICY = ["name", "statements", "description", "createdAt"];
const TOKEN = ["id", "description", "createdAt", "lastUsedAt"];
const filterOpt: OptionSpec = { flags: "--filter <text>", description: "only names containing this (case ignored)" };
const filterQuery = (o: Record<string, any>): Record<string, string> => (o.filter ? { filter: String(o.filter) } : {});
const REPO = ["name", "isPublic", "immutableTags", "tags", "manifests", "size", "pulls", "lastPushedAt", "createdAt"];
const AUDIT = ["at", "tenancy", "actor", "action", "target", "outcome", "address", "detail"];

export const GROUPS: GroupSpec[] = [
  { path: ["iam"], summary: "tenancies, users, groups, policies, auth tokens and the audit log", example: "berth iam user list --tenancy ourtenant" },
  { path: ["iam", "tenancy"], summary: "tenancies (each has a namespace and an Administrators group)", example: "berth iam tenancy create --namespace acme --admin-user alice" },
  { path: ["iam", "user"], summary: "users of a tenancy", example: "berth iam user create --tenancy ourtenant --name dockerdev" },
  { path: ["iam", "group"], summary: "groups of a tenancy and their members", example: "berth iam group add-user --tenancy ourtenant --group CONREG_DEV --user dockerdev" },
  { path: ["iam", "policy"], summary: "policies: statements in OCI's policy language", example: "berth iam policy list --tenancy ourtenant" },
  { path: ["iam", "auth-token"], summary: "auth tokens (at most 2 per user; the secret is shown once)", example: "berth iam auth-token create --tenancy ourtenant --user dockerdev" },
  { path: ["repo"], summary: "repositories and their tags", example: "berth repo tags --name ourtenant/oxar" },
  { path: ["image"], summary: "images (manifests) of a repository", example: "berth image list --repo ourtenant/oxar" },
  ...RETENTION_GROUPS,
];

export const COMMANDS: CommandSpec[] = [
  {
    path: ["whoami"],
    summary: "who the CLI acts as (the profile's user, or the local operator with --offline)",
    examples: ["berth whoami", "berth whoami --profile acme --output json"],
    options: [],
    call: () => ({ method: "GET", path: "/whoami" }),
  },
  {
    path: ["can"],
    summary: "which of the operations you may do on a repository, a user or a tenancy (the console hides what you may not)",
    examples: ["berth can --operation PushImage --operation DeleteImage --repo ourtenant/oxar", "berth can --operation ListUsers --tenancy ourtenant"],
    options: [
      { flags: "--operation <name>", description: "an operation, e.g. PullImage (repeat for several; at most 50)", required: true, parse: collect },
      { flags: "--repo <ns/repo>", description: "on this repository" },
      { flags: "--user <name>", description: "on this user (of --tenancy, default your own)" },
      { flags: "--tenancy <ns>", description: "in this tenancy (default your own)" },
    ],
    call: (o) => ({
      method: "GET",
      path: "/permissions",
      query: defined({ operations: (o.operation as string[]).join(","), repository: o.repo, user: o.user, tenancy: o.tenancy }) as Record<string, string>,
    }),
  },

  // tenancies
  {
    path: ["iam", "tenancy", "create"],
    summary: "create a tenancy, optionally with its first administrator (whose auth token is printed once)",
    examples: ["berth iam tenancy create --namespace acme --admin-user alice", "berth iam tenancy create --offline --root /var/lib/berth --namespace acme --admin-user alice"],
    options: [
      { flags: "--namespace <ns>", description: "lowercase namespace: the first path segment of its repositories", required: true },
      descOpt,
      { flags: "--repository-limit <n>", description: "repositories it may hold (default 500)", parse: int },
      { flags: "--admin-user <name>", description: "also create this administrator and print its first auth token" },
    ],
    call: (o) => ({
      method: "POST",
      path: "/tenancies",
      body: defined({ namespace: o.namespace, description: o.description, repositoryLimit: o.repositoryLimit, adminUser: o.adminUser }),
    }),
  },
  {
    path: ["iam", "tenancy", "list"],
    summary: "list the tenancies you may see (operators: all of them)",
    examples: ["berth iam tenancy list"],
    options: [],
    list: true,
    columns: TENANCY,
    call: () => ({ method: "GET", path: "/tenancies" }),
  },
  {
    path: ["iam", "tenancy", "get"],
    summary: "show one tenancy",
    examples: ["berth iam tenancy get --namespace acme"],
    options: [nsOpt],
    call: (o) => ({ method: "GET", path: t(o.namespace) }),
  },
  {
    path: ["iam", "tenancy", "update"],
    summary: "change a tenancy's repository limit, storage quota or description",
    examples: ["berth iam tenancy update --namespace acme --repository-limit 1000", "berth iam tenancy update --namespace acme --storage-quota 10737418240"],
    options: [
      nsOpt,
      { flags: "--repository-limit <n>", description: "repositories it may hold", parse: int },
      { flags: "--storage-quota <bytes>", description: "bytes it may store, each blob once (`none` removes the quota)", parse: (v: string) => (v === "none" ? v : int(v)) },
      descOpt,
    ],
    call: (o) => ({
      method: "PATCH",
      path: t(o.namespace),
      body: defined({ repositoryLimit: o.repositoryLimit, storageQuota: o.storageQuota === "none" ? null : o.storageQuota, description: o.description }),
    }),
  },
  {
    path: ["iam", "tenancy", "delete"],
    summary: "delete a tenancy (refused while it holds repositories)",
    examples: ["berth iam tenancy delete --namespace acme"],
    options: [nsOpt],
    call: (o) => ({ method: "DELETE", path: t(o.namespace) }),
    done: (o) => `deleted tenancy ${o.namespace}`,
  },
  {
    path: ["iam", "tenancy", "usage"],
    summary: "storage and repositories used: one tenancy's, or (operators, without --namespace) the registry's",
    examples: ["berth iam tenancy usage --namespace acme", "berth iam tenancy usage"],
    options: [{ flags: "--namespace <ns>", description: "the tenancy's namespace (default: registry-wide)" }],
    call: (o) => ({ method: "GET", path: o.namespace ? `${t(o.namespace)}/usage` : "/usage" }),
  },

  // users
  {
    path: ["iam", "user", "create"],
    summary: "create a user in a tenancy",
    examples: ["berth iam user create --tenancy ourtenant --name dockerdev --description 'A Docker developer'"],
    options: [tenancyOpt, nameOpt("user"), descOpt],
    call: (o) => ({ method: "POST", path: `${t(o.tenancy)}/users`, body: defined({ name: o.name, description: o.description }) }),
  },
  {
    path: ["iam", "user", "list"],
    summary: "list a tenancy's users",
    examples: ["berth iam user list --tenancy ourtenant"],
    options: [tenancyOpt],
    list: true,
    columns: USER,
    call: (o) => ({ method: "GET", path: `${t(o.tenancy)}/users` }),
  },
  {
    path: ["iam", "user", "get"],
    summary: "show a user and their groups",
    examples: ["berth iam user get --tenancy ourtenant --name dockerdev"],
    options: [tenancyOpt, nameOpt("user")],
    call: (o) => ({ method: "GET", path: `${t(o.tenancy)}/users/${seg(o.name)}` }),
  },
  {
    path: ["iam", "user", "delete"],
    summary: "delete a user (and their auth tokens)",
    examples: ["berth iam user delete --tenancy ourtenant --name dockeruser"],
    options: [tenancyOpt, nameOpt("user")],
    call: (o) => ({ method: "DELETE", path: `${t(o.tenancy)}/users/${seg(o.name)}` }),
    done: (o) => `deleted user ${o.tenancy}/${o.name}`,
  },
  {
    path: ["iam", "user", "unlock"],
    summary: "lift the user's failed-login throttle (429) from every address, on every serving process",
    examples: ["berth iam user unlock --tenancy ourtenant --user ci", "berth iam user unlock --offline --root /var/lib/berth --tenancy ourtenant --user ci"],
    options: [tenancyOpt, { flags: "--user <name>", description: "the user's name", required: true }],
    call: (o) => ({ method: "POST", path: `${t(o.tenancy)}/users/${seg(o.user)}/unlock` }),
    done: (o) => `unlocked ${o.tenancy}/${o.user}`,
  },

  // groups
  {
    path: ["iam", "group", "create"],
    summary: "create a group in a tenancy",
    examples: ["berth iam group create --tenancy ourtenant --name CONREG_DEV --description 'creates images'"],
    options: [tenancyOpt, nameOpt("group"), descOpt],
    call: (o) => ({ method: "POST", path: `${t(o.tenancy)}/groups`, body: defined({ name: o.name, description: o.description }) }),
  },
  {
    path: ["iam", "group", "list"],
    summary: "list a tenancy's groups",
    examples: ["berth iam group list --tenancy ourtenant"],
    options: [tenancyOpt],
    list: true,
    columns: GROUP,
    call: (o) => ({ method: "GET", path: `${t(o.tenancy)}/groups` }),
  },
  {
    path: ["iam", "group", "delete"],
    summary: "delete a group",
    examples: ["berth iam group delete --tenancy ourtenant --name CONREG_USER"],
    options: [tenancyOpt, nameOpt("group")],
    call: (o) => ({ method: "DELETE", path: `${t(o.tenancy)}/groups/${seg(o.name)}` }),
    done: (o) => `deleted group ${o.name} of ${o.tenancy}`,
  },
  {
    path: ["iam", "group", "add-user"],
    summary: "add a user to a group",
    examples: ["berth iam group add-user --tenancy ourtenant --group CONREG_DEV --user dockerdev"],
    options: [tenancyOpt, { flags: "--group <name>", description: "the group", required: true }, { flags: "--user <name>", description: "the user", required: true }],
    call: (o) => ({ method: "POST", path: `${t(o.tenancy)}/groups/${seg(o.group)}/members`, body: { user: o.user } }),
    done: (o) => `added ${o.user} to ${o.group}`,
  },
  {
    path: ["iam", "group", "remove-user"],
    summary: "remove a user from a group (their access changes at once)",
    examples: ["berth iam group remove-user --tenancy ourtenant --group CONREG_DEV --user dockerdev"],
    options: [tenancyOpt, { flags: "--group <name>", description: "the group", required: true }, { flags: "--user <name>", description: "the user", required: true }],
    call: (o) => ({ method: "DELETE", path: `${t(o.tenancy)}/groups/${seg(o.group)}/members/${seg(o.user)}` }),
    done: (o) => `removed ${o.user} from ${o.group}`,
  },
  {
    path: ["iam", "group", "members"],
    summary: "list a group's members",
    examples: ["berth iam group members --tenancy ourtenant --group CONREG_DEV"],
    options: [tenancyOpt, { flags: "--group <name>", description: "the group", required: true }],
    list: true,
    columns: USER,
    call: (o) => ({ method: "GET", path: `${t(o.tenancy)}/groups/${seg(o.group)}/members` }),
  },

  // policies
  {
    path: ["iam", "policy", "create"],
    summary: "create a policy from one or more statements",
    examples: [
      `berth iam policy create --tenancy ourtenant --name ContainerRegistryAccess \\
      --statement 'Allow group CONREG_DEV to use repos in tenancy' \\
      --statement 'Allow group CONREG_USER to read repos in tenancy'`,
    ],
    options: [tenancyOpt, nameOpt("policy"), { flags: "--statement <text>", description: "a policy statement (repeat for several)", required: true, parse: collect }, descOpt],
    call: (o) => ({ method: "POST", path: `${t(o.tenancy)}/policies`, body: defined({ name: o.name, description: o.description, statements: o.statement }) }),
  },
  {
    path: ["iam", "policy", "check"],
    summary: "check statements as creating a policy would, saving nothing (each: ok, or the reason and column)",
    examples: [`berth iam policy check --tenancy ourtenant --statement 'Allow group CONREG_DEV to use repos in tenancy'`],
    options: [tenancyOpt, { flags: "--statement <text>", description: "a policy statement (repeat for several)", required: true, parse: collect }],
    call: (o) => ({ method: "POST", path: `${t(o.tenancy)}/policies/check`, body: { statements: o.statement } }),
  },
  {
    path: ["iam", "policy", "list"],
    summary: "list a tenancy's policies",
    examples: ["berth iam policy list --tenancy ourtenant"],
    options: [tenancyOpt],
    list: true,
    columns: POLICY,
    call: (o) => ({ method: "GET", path: `${t(o.tenancy)}/policies` }),
  },
  {
    path: ["iam", "policy", "get"],
    summary: "show one policy and its statements",
    examples: ["berth iam policy get --tenancy ourtenant --name ContainerRegistryAccess"],
    options: [tenancyOpt, nameOpt("policy")],
    call: (o) => ({ method: "GET", path: `${t(o.tenancy)}/policies/${seg(o.name)}` }),
  },
  {
    path: ["iam", "policy", "update"],
    summary: "replace a policy's statements or description",
    examples: ["berth iam policy update --tenancy ourtenant --name ContainerRegistryAccess --statement 'Allow group CONREG_USER to read repos in tenancy'"],
    options: [tenancyOpt, nameOpt("policy"), { flags: "--statement <text>", description: "replaces all statements (repeat for several)", parse: collect }, descOpt],
    call: (o) => ({ method: "PATCH", path: `${t(o.tenancy)}/policies/${seg(o.name)}`, body: defined({ statements: o.statement, description: o.description }) }),
  },
  {
    path: ["iam", "policy", "delete"],
    summary: "delete a policy",
    examples: ["berth iam policy delete --tenancy ourtenant --name ContainerRegistryAccess"],
    options: [tenancyOpt, nameOpt("policy")],
    call: (o) => ({ method: "DELETE", path: `${t(o.tenancy)}/policies/${seg(o.name)}` }),
    done: (o) => `deleted policy ${o.name} of ${o.tenancy}`,
  },

  // auth tokens
  {
    path: ["iam", "auth-token", "create"],
    summary: "create an auth token for a user (yours, or any in your tenancy as its administrator); the secret is printed once",
    examples: ["berth iam auth-token create --tenancy ourtenant --user dockerdev --description laptop"],
    options: [tenancyOpt, { flags: "--user <name>", description: "the user", required: true }, { flags: "--description <text>", description: "what it is for", default: "" }],
    call: (o) => ({ method: "POST", path: `${t(o.tenancy)}/users/${seg(o.user)}/auth-tokens`, body: { description: o.description } }),
  },
  {
    path: ["iam", "auth-token", "list"],
    summary: "list a user's auth tokens (never their secrets)",
    examples: ["berth iam auth-token list --tenancy ourtenant --user dockerdev"],
    options: [tenancyOpt, { flags: "--user <name>", description: "the user", required: true }],
    list: true,
    columns: TOKEN,
    call: (o) => ({ method: "GET", path: `${t(o.tenancy)}/users/${seg(o.user)}/auth-tokens` }),
  },
  {
    path: ["iam", "auth-token", "delete"],
    summary: "delete an auth token: it stops working at once",
    examples: ["berth iam auth-token delete --tenancy ourtenant --user dockerdev --id 6f1c…"],
    options: [tenancyOpt, { flags: "--user <name>", description: "the user", required: true }, { flags: "--id <id>", description: "the token's id", required: true }],
    call: (o) => ({ method: "DELETE", path: `${t(o.tenancy)}/users/${seg(o.user)}/auth-tokens/${seg(o.id)}` }),
    done: (o) => `deleted auth token ${o.id}`,
  },

  {
    path: ["iam", "audit"],
    summary: "the audit log, newest first: a tenancy's, or (operators, without --tenancy) the registry's",
    examples: ["berth iam audit --tenancy ourtenant --limit 20", "berth iam audit"],
    options: [{ flags: "--tenancy <ns>", description: "the tenancy (default: registry-wide, operators only)" }],
    list: true,
    columns: AUDIT,
    call: (o) => ({ method: "GET", path: o.tenancy ? `${t(o.tenancy)}/audit` : "/audit" }),
  },
  {
    path: ["iam", "rotate-signing-key"],
    summary: "sign new registry tokens with a fresh key (operators only)",
    examples: ["berth iam rotate-signing-key"],
    options: [],
    call: () => ({ method: "POST", path: "/signing-keys/rotate" }),
  },

  // repositories
  {
    path: ["repo", "create"],
    summary: "create a repository (a push creates one too, when the policy allows)",
    examples: ["berth repo create --name ourtenant/oxar", "berth repo create --name ourtenant/base --public"],
    options: [repoOpt(), { flags: "--public", description: "anyone may pull it without logging in" }],
    call: (o) => ({ method: "POST", path: "/repositories", body: { name: o.name, isPublic: Boolean(o.public) } }),
  },
  {
    path: ["repo", "list"],
    summary: "list repositories: a tenancy's, or all you may see without --tenancy (operators: every tenancy's)",
    examples: ["berth repo list --tenancy ourtenant", "berth repo list"],
    options: [{ flags: "--tenancy <ns>", description: "the tenancy (default: every repository you may see)" }, filterOpt],
    list: true,
    columns: REPO,
    call: (o) => ({ method: "GET", path: o.tenancy ? `${t(o.tenancy)}/repositories` : "/repositories", query: filterQuery(o) }),
  },
  {
    path: ["repo", "get"],
    summary: "show one repository",
    examples: ["berth repo get --name ourtenant/oxar"],
    options: [repoOpt()],
    call: (o) => ({ method: "GET", path: r(o.name) }),
  },
  {
    path: ["repo", "update"],
    summary: "make a repository public or private, or its tags immutable or mutable",
    examples: ["berth repo update --name ourtenant/oxar --public", "berth repo update --name ourtenant/oxar --immutable-tags"],
    options: [
      repoOpt(),
      { flags: "--public", description: "make it public" },
      { flags: "--private", description: "make it private" },
      { flags: "--immutable-tags", description: "a pushed tag never moves nor is deleted" },
      { flags: "--mutable-tags", description: "tags may move and be deleted again" },
    ],
    call: (o) => {
      if (o.public && o.private) throw new CliError("give one of --public or --private, not both", EXIT.invalid);
      if (o.immutableTags && o.mutableTags) throw new CliError("give one of --immutable-tags or --mutable-tags, not both", EXIT.invalid);
      const isPublic = o.public ? true : o.private ? false : undefined;
      const immutableTags = o.immutableTags ? true : o.mutableTags ? false : undefined;
      if (isPublic === undefined && immutableTags === undefined) {
        throw new CliError("give --public or --private, and/or --immutable-tags or --mutable-tags", EXIT.invalid);
      }
      return { method: "PATCH", path: r(o.name), body: defined({ isPublic, immutableTags }) };
    },
  },
  {
    path: ["repo", "delete"],
    summary: "delete a repository with its tags and images",
    examples: ["berth repo delete --name ourtenant/oxar"],
    options: [repoOpt()],
    call: (o) => ({ method: "DELETE", path: r(o.name) }),
    done: (o) => `deleted repository ${o.name}`,
  },
  {
    path: ["repo", "tags"],
    summary: "list a repository's tags with the size and push time of each",
    examples: ["berth repo tags --name ourtenant/oxar", "berth repo tags --name ourtenant/oxar --filter rc"],
    options: [repoOpt(), filterOpt],
    list: true,
    columns: ["name", "digest", "size", "pushedAt"],
    call: (o) => ({ method: "GET", path: `${r(o.name)}/tags`, query: filterQuery(o) }),
  },
  {
    path: ["repo", "delete-tag"],
    summary: "delete a tag (the image it pointed to stays, by digest)",
    examples: ["berth repo delete-tag --name ourtenant/oxar --tag 0.0.1"],
    options: [repoOpt(), { flags: "--tag <tag>", description: "the tag", required: true }],
    call: (o) => ({ method: "DELETE", path: `${r(o.name)}/tags/${seg(o.tag)}` }),
    done: (o) => `deleted tag ${o.name}:${o.tag}`,
  },

  // images
  {
    path: ["image", "list"],
    summary: "list a repository's images (manifests) with their tags, sizes and who pushed them",
    examples: ["berth image list --repo ourtenant/oxar"],
    options: [repoOpt("--repo")],
    list: true,
    columns: ["digest", "tags", "mediaType", "size", "pushedAt", "pushedBy", "lastPulledAt", "pullCount"],
    call: (o) => ({ method: "GET", path: `${r(o.repo)}/images` }),
  },
  {
    path: ["image", "show"],
    summary: "show one image: size, tags, who pushed it, pulls, layers and config (an image) or platforms (an index), referrers",
    examples: ["berth image show --repo ourtenant/oxar --digest sha256:4f29…", "berth image show --repo ourtenant/oxar --digest sha256:4f29… --output json"],
    options: [repoOpt("--repo"), { flags: "--digest <digest>", description: "the image's digest, sha256:…", required: true }],
    call: (o) => ({ method: "GET", path: `${r(o.repo)}/images/${seg(o.digest)}` }),
  },
  {
    path: ["image", "delete"],
    summary: "delete an image by digest, with every tag pointing to it",
    examples: ["berth image delete --repo ourtenant/oxar --digest sha256:4f29…"],
    options: [repoOpt("--repo"), { flags: "--digest <digest>", description: "the image's digest, sha256:…", required: true }],
    call: (o) => ({ method: "DELETE", path: `${r(o.repo)}/images/${seg(o.digest)}` }),
    done: (o) => `deleted image ${o.repo}@${o.digest}`,
  },
  ...RETENTION_COMMANDS,
  ...USAGE_COMMANDS,
];
