export { OPEN_REGISTRY, PolicyAuthorization, type Authorization, type AuthorizationSettings, type Decision, type DecisionFacts } from "./authorization.js";
export { RequestAuthorizer, scopeOf, type Access, type AuthorizedRequest } from "./requests.js";
export { describeTarget, groupTarget, REGISTRY, repositoryTarget, tenancyTarget, userTarget, type Target } from "./target.js";
