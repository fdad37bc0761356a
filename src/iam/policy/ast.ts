// The parsed form of a policy statement: plain data, so statements can be stored, compared and
// logged. `text` keeps the statement exactly as it was written, for audit messages.
import type { Resource, Verb } from "./permissions.js";

export const VARIABLES = ["target.repo.name", "target.user.name", "target.group.name", "request.permission", "request.operation", "request.user.name"] as const;
export type Variable = (typeof VARIABLES)[number];

export type Location = { kind: "tenancy" } | { kind: "compartment"; name: string };

/** a quoted string compares exactly; a /pattern/ must match the whole value, `*` matching any run */
export type Value = { kind: "string"; value: string } | { kind: "pattern"; pattern: string };

export type Condition =
  | { kind: "compare"; variable: Variable; operator: "=" | "!="; value: Value }
  | { kind: "any" | "all"; conditions: Condition[] };

export interface Statement {
  /** group names as written; matched case-insensitively */
  groups: string[];
  verb: Verb;
  resource: Resource;
  location: Location;
  condition?: Condition;
  text: string;
}
