// The OCI policy language: parse `Allow group ... to <verb> <resource> in tenancy [where ...]` and
// decide whether parsed statements allow a request. Pure functions, no I/O.
export type { Condition, Location, Statement, Value, Variable } from "./ast.js";
export { VARIABLES } from "./ast.js";
export { PolicyParseError } from "./errors.js";
export { findAllowingStatement, isAllowed, statementAllows, type AccessContext } from "./evaluate.js";
export { MAX_CONDITION_DEPTH, MAX_STATEMENT_LENGTH, parseStatement } from "./parser.js";
export {
  GRANTS,
  IAM_PERMISSIONS,
  PERMISSIONS,
  REPOSITORY_PERMISSIONS,
  RESOURCES,
  VERBS,
  isPermission,
  isRepositoryPermission,
  type Permission,
  type Resource,
  type Verb,
} from "./permissions.js";
export { matchWildcard } from "./wildcard.js";
