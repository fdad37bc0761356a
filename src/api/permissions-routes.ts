// "What may I do": the console asks which operations the caller may perform on a target, and
// hides what would be refused. Any signed-in principal may ask; it only learns its own rights.
import type { AdminServices } from "../admin/services.js";
import type { Route } from "./route.js";
import * as s from "./schemas.js";

export function permissionRoutes(a: AdminServices): Route[] {
  return [
    {
      method: "GET",
      path: "/permissions",
      summary: "Which of ?operations=A,B (at most 50) the caller may do on ?repository=, ?user= or ?group= (with ?tenancy=), or the tenancy (?tenancy=, the caller's by default)",
      access: "authenticated",
      query: [
        { name: "operations", description: "operation names, comma-separated (or the parameter repeated); 1 to 50" },
        { name: "repository", description: "the repository asked about (<tenancy>/<path>)" },
        { name: "user", description: "the user asked about, in `tenancy` (default: the caller's)" },
        { name: "group", description: "the group asked about, in `tenancy` (default: the caller's)" },
        { name: "tenancy", description: "the tenancy asked about (default: the caller's)" },
      ],
      response: s.permissions,
      status: 200,
      action: async ({ principal, query }) => {
        const operations = query.getAll("operations").flatMap((v) => v.split(","));
        const optional = (key: string) => query.get(key) ?? undefined;
        const allowed = await a.permissions.allowed(principal, operations, { repository: optional("repository"), user: optional("user"), group: optional("group"), tenancy: optional("tenancy") });
        return { allowed };
      },
    },
  ];
}
