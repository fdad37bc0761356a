// The command table: every admin verb of `berth` as the admin API request it makes. One table
// for both transports (remote as the profile's user, --offline as the local operator), so the
// two can never disagree; the policy on the server decides, not the CLI.
import { collect, defined, descOpt, int, nameOpt, nsOpt, seg, t, tenancyOpt, type CommandSpec, type GroupSpec } from "./command-spec.js";
import { REPOSITORY_COMMANDS } from "./repository-commands.js";
import { RETENTION_COMMANDS, RETENTION_GROUPS } from "./retention-commands.js";
import { USAGE_COMMANDS } from "./usage-commands.js";

const TENANCY = ["namespace", "description", "repositoryLimit", "storageQuota", "createdAt"];
const USER = ["name", "description", "createdAt"];
const GROUP = ["name", "description", "createdAt"];
const POLICY = ["name", "statements", "description", "createdAt"];
const TOKEN = ["id", "description", "createdAt", "lastUsedAt"];
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
    examples: ["berth iam audit --tenancy ourtenant --limit 20", "berth iam audit --tenancy ourtenant --action DeleteImage --since 2026-12-01", "berth iam audit"],
    options: [
      { flags: "--tenancy <ns>", description: "the tenancy (default: registry-wide, operators only)" },
      { flags: "--actor <ns/user>", description: "only this actor's events" },
      { flags: "--repo <ns/repo>", description: "only a repository's history: events about it, its tags and its images" },
      { flags: "--action <name>", description: "only this action (an operation, e.g. DeleteImage)" },
      { flags: "--outcome <outcome>", description: "only allowed, denied, ok, failed or throttled events" },
      { flags: "--since <when>", description: "only events since an ISO-8601 date (UTC) or time with its zone" },
    ],
    list: true,
    columns: AUDIT,
    call: (o) => ({
      method: "GET",
      path: o.tenancy ? `${t(o.tenancy)}/audit` : "/audit",
      query: defined({ actor: o.actor, action: o.action, outcome: o.outcome, since: o.since, repository: o.repo }) as Record<string, string>,
    }),
  },
  {
    path: ["iam", "rotate-signing-key"],
    summary: "sign new registry tokens with a fresh key (operators only)",
    examples: ["berth iam rotate-signing-key"],
    options: [],
    call: () => ({ method: "POST", path: "/signing-keys/rotate" }),
  },

  ...REPOSITORY_COMMANDS,
  ...RETENTION_COMMANDS,
  ...USAGE_COMMANDS,
];
