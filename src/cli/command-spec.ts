// What every command table of `berth` is made of: the command and option specs, and the small
// helpers their requests share (path segments, common options, only the fields given).
import { InvalidArgumentError } from "commander";
import type { ApiCall } from "./transport.js";

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

export const seg = encodeURIComponent;
export const collect = (value: string, previous: string[] = []) => [...previous, value];
export const int = (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError("not a non-negative integer");
  return n;
};
/** only the fields given: an update leaves the others alone */
export const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export const tenancyOpt: OptionSpec = { flags: "--tenancy <ns>", description: "the tenancy's namespace", required: true };
export const nsOpt: OptionSpec = { flags: "--namespace <ns>", description: "the tenancy's namespace", required: true };
export const nameOpt = (what: string): OptionSpec => ({ flags: "--name <name>", description: `the ${what}'s name`, required: true });
export const descOpt: OptionSpec = { flags: "--description <text>", description: "a description" };
export const repoOpt = (flag = "--name"): OptionSpec => ({ flags: `${flag} <ns/repo>`, description: "the repository, `<namespace>/<path>`", required: true });
export const t = (ns: string) => `/tenancies/${seg(ns)}`;
export const r = (name: string) => `/repositories/${seg(name)}`;

export const filterOpt: OptionSpec = { flags: "--filter <text>", description: "only names containing this (case ignored)" };
export const filterQuery = (o: Record<string, any>): Record<string, string> => (o.filter ? { filter: String(o.filter) } : {});
