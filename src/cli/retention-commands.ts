// `berth retention …`: a tenancy's image retention policies, as admin API requests (see
// src/api/retention-routes.ts). Registered by spreading into the command table of commands.ts.
import { InvalidArgumentError } from "commander";
import { collect, repoOpt as repositoryOpt, seg, tenancyOpt, type CommandSpec, type GroupSpec, type OptionSpec, type Opts } from "./command-spec.js";

/** A day count or K: a whole number ≥ 1, or `off` to turn the rule off (kept as "off": commander cannot hold a null). */
const countOrOff = (value: string): number | "off" => {
  if (value === "off") return "off";
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("a whole number from 1, or off");
  return n;
};

const policyOpt: OptionSpec = { flags: "--name <policy>", description: "the override policy's name", required: true };
const repoOpt = repositoryOpt("--repo");
const ruleOpts: OptionSpec[] = [
  { flags: "--not-pulled-days <n>", description: "delete images not pulled (nor pushed) for n days; off: never", parse: countOrOff },
  { flags: "--untagged-days <n>", description: "delete images without a tag for n days; off: never", parse: countOrOff },
  { flags: "--keep-newest <k>", description: "delete every image but the newest k pushed per repository; off: keep all", parse: countOrOff },
  { flags: "--exempt-tag <glob>", description: "never delete an image with a tag matching this (`release-*`); repeat for more", parse: collect },
  { flags: "--clear-exempt-tags", description: "no exempt tags (update only)" },
];

/** The rules given on the command line; those not given are left out (off on create, unchanged on update). */
function rulesOf(o: Opts): Record<string, unknown> {
  const count = (v: unknown) => (v === "off" ? null : v);
  const rules: Record<string, unknown> = { notPulledForDays: count(o.notPulledDays), untaggedForDays: count(o.untaggedDays), keepNewest: count(o.keepNewest) };
  rules.exemptTags = o.clearExemptTags ? [] : o.exemptTag;
  return Object.fromEntries(Object.entries(rules).filter(([, v]) => v !== undefined));
}

const base = (ns: string) => `/tenancies/${seg(ns)}/retention`;
const POLICY = ["name", "rules", "repositories", "changedAt", "effectiveAt"];

export const RETENTION_GROUPS: GroupSpec[] = [
  { path: ["retention"], summary: "image retention policies: the global one, overrides for chosen repositories, the preview", example: "berth retention preview --tenancy ourtenant" },
  { path: ["retention", "global"], summary: "the tenancy's global retention policy (retains everything until changed)", example: "berth retention global get --tenancy ourtenant" },
  { path: ["retention", "policy"], summary: "override retention policies and their repositories", example: "berth retention policy list --tenancy ourtenant" },
];

export const RETENTION_COMMANDS: CommandSpec[] = [
  {
    path: ["retention", "global", "get"],
    summary: "show the global retention policy",
    examples: ["berth retention global get --tenancy ourtenant"],
    options: [tenancyOpt],
    call: (o) => ({ method: "GET", path: `${base(o.tenancy)}/global` }),
  },
  {
    path: ["retention", "global", "update"],
    summary: "replace the global policy's rules (those not given are off); applies after the cooling period (default 24 h)",
    examples: ["berth retention global update --tenancy ourtenant --untagged-days 30 --exempt-tag 'release-*'", "berth retention global update --tenancy ourtenant   # retain all again"],
    options: [tenancyOpt, ...ruleOpts],
    call: (o) => ({ method: "PUT", path: `${base(o.tenancy)}/global`, body: rulesOf(o) }),
  },
  {
    path: ["retention", "policy", "list"],
    summary: "list the override retention policies with their repositories",
    examples: ["berth retention policy list --tenancy ourtenant"],
    options: [tenancyOpt],
    list: true,
    columns: POLICY,
    call: (o) => ({ method: "GET", path: `${base(o.tenancy)}/policies` }),
  },
  {
    path: ["retention", "policy", "get"],
    summary: "show one override retention policy",
    examples: ["berth retention policy get --tenancy ourtenant --name ci-builds"],
    options: [tenancyOpt, policyOpt],
    call: (o) => ({ method: "GET", path: `${base(o.tenancy)}/policies/${seg(o.name)}` }),
  },
  {
    path: ["retention", "policy", "create"],
    summary: "create an override policy for chosen repositories (exempt from the global one); a repository is in at most one",
    examples: ["berth retention policy create --tenancy ourtenant --name ci-builds --keep-newest 10 --repo ourtenant/ci/app"],
    options: [tenancyOpt, policyOpt, ...ruleOpts.slice(0, 4), { flags: "--repo <ns/repo>", description: "a repository it applies to; repeat for more", parse: collect }],
    call: (o) => ({ method: "POST", path: `${base(o.tenancy)}/policies`, body: { name: o.name, rules: rulesOf(o), ...(o.repo ? { repositories: o.repo } : {}) } }),
  },
  {
    path: ["retention", "policy", "update"],
    summary: "change the rules given of an override policy (others stay); applies after the cooling period",
    examples: ["berth retention policy update --tenancy ourtenant --name ci-builds --not-pulled-days 90 --keep-newest off"],
    options: [tenancyOpt, policyOpt, ...ruleOpts],
    call: (o) => ({ method: "PATCH", path: `${base(o.tenancy)}/policies/${seg(o.name)}`, body: rulesOf(o) }),
  },
  {
    path: ["retention", "policy", "delete"],
    summary: "delete an override policy; its repositories fall under the global policy",
    examples: ["berth retention policy delete --tenancy ourtenant --name ci-builds"],
    options: [tenancyOpt, policyOpt],
    call: (o) => ({ method: "DELETE", path: `${base(o.tenancy)}/policies/${seg(o.name)}` }),
    done: (o) => `deleted retention policy ${o.name}`,
  },
  {
    path: ["retention", "policy", "add-repo"],
    summary: "put a repository in an override policy",
    examples: ["berth retention policy add-repo --tenancy ourtenant --name ci-builds --repo ourtenant/ci/tools"],
    options: [tenancyOpt, policyOpt, repoOpt],
    call: (o) => ({ method: "PUT", path: `${base(o.tenancy)}/policies/${seg(o.name)}/repositories/${seg(o.repo)}`, body: {} }),
  },
  {
    path: ["retention", "policy", "remove-repo"],
    summary: "take a repository out of an override policy (the global policy applies to it again)",
    examples: ["berth retention policy remove-repo --tenancy ourtenant --name ci-builds --repo ourtenant/ci/tools"],
    options: [tenancyOpt, policyOpt, repoOpt],
    call: (o) => ({ method: "DELETE", path: `${base(o.tenancy)}/policies/${seg(o.name)}/repositories/${seg(o.repo)}` }),
    done: (o) => `removed ${o.repo} from retention policy ${o.name}`,
  },
  {
    path: ["retention", "preview"],
    summary: "what the policies would delete now (ignoring the cooling period), and when each takes effect",
    examples: ["berth retention preview --tenancy ourtenant", "berth retention preview --tenancy ourtenant --policy global --output json"],
    options: [tenancyOpt, { flags: "--policy <name>", description: "only this policy (`global` for the global one)" }],
    call: (o) => ({ method: "GET", path: o.policy ? `${base(o.tenancy)}/policies/${seg(o.policy)}/preview` : `${base(o.tenancy)}/preview` }),
  },
];
