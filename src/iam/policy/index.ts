// The OCI policy language: parse `Allow group ... to <verb> repos in tenancy [where ...]` and
// decide whether parsed statements allow a request. Pure functions, no I/O.
export type { Condition, Location, Resource, Statement, Value, Variable } from "./ast.js";
export { RESOURCES, VARIABLES } from "./ast.js";
export { PolicyParseError } from "./errors.js";
export { findAllowingStatement, isAllowed, statementAllows, type AccessContext } from "./evaluate.js";
export { MAX_CONDITION_DEPTH, MAX_STATEMENT_LENGTH, parseStatement } from "./parser.js";
export { PERMISSIONS, VERBS, VERB_PERMISSIONS, isPermission, type Permission, type Verb } from "./permissions.js";
export { matchWildcard } from "./wildcard.js";
