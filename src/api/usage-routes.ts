// Usage routes of the admin API: a repository's usage (a tenancy's and the registry's are in the
// main table, where they were first).
import type { AdminServices } from "../admin/services.js";
import { parseRepositoryName } from "../admin/repositories.js";
import { usageDays } from "../admin/usage.js";
import { repositoryTarget } from "./decision.js";
import type { Route, Target, TargetFacts } from "./route.js";
import * as s from "./schemas.js";

const repositoryOf = ({ params }: TargetFacts): Target => {
  parseRepositoryName(params.name!);
  return repositoryTarget(params.name!);
};

export function usageRoutes(a: AdminServices): Route[] {
  return [
    {
      method: "GET",
      path: "/repositories/{name}/usage",
      summary: "What a repository uses: stored bytes, images, tags, pulls and egress per day (?days=, 30)",
      access: { operation: "GetContainerRepository", target: repositoryOf },
      response: s.repositoryUsage,
      status: 200,
      action: ({ params, query }) => a.usage.repository(params.name!, usageDays(query.get("days"))),
    },
  ];
}
