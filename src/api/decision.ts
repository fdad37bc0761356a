// The decision's vocabulary as the API's routes use it (contract §1): targets and operations.
import type { Operation } from "../iam/operations.js";

export { repositoryTarget, type Target } from "../authz/index.js";

export type OperationName = Operation;
