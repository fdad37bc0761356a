// The admin API of image retention policies (src/admin/retention.ts). Reading a tenancy's
// policies and their preview needs `inspect repos` there, changing them `manage repos`.
import { z } from "zod";
import type { AdminServices } from "../admin/services.js";
import { paginate } from "./pagination.js";
import type { Route, Target, TargetFacts } from "./route.js";

const tenancyOf = ({ params }: TargetFacts): Target => ({ kind: "tenancy", tenancy: params.ns! });
const time = z.iso.datetime();
const days = z.number().int().min(1).max(100_000).nullable();

/** Rules as written: a field left out is off (PUT of the global policy, create) or unchanged (PATCH). */
const rulesInput = z.strictObject({
  notPulledForDays: days.optional(),
  untaggedForDays: days.optional(),
  keepNewest: days.optional(),
  exemptTags: z.array(z.string()).max(100).optional(),
});
const rules = z.object({ notPulledForDays: days, untaggedForDays: days, keepNewest: days, exemptTags: z.array(z.string()) });

export const retentionPolicy = z.object({
  name: z.string(),
  rules,
  repositories: z.array(z.string()),
  createdAt: time.nullable(),
  changedAt: time.nullable(),
  effectiveAt: time.nullable(),
});
export const retentionPreview = z.object({
  at: time,
  policies: z.array(
    z.object({
      name: z.string(),
      rules,
      changedAt: time.nullable(),
      effectiveAt: time.nullable(),
      inEffect: z.boolean(),
      deletions: z.array(
        z.object({ repository: z.string(), digest: z.string(), tags: z.array(z.string()), reasons: z.array(z.enum(["not-pulled", "untagged", "beyond-newest", "index-deleted"])) }),
      ),
    }),
  ),
});
const createPolicy = z.strictObject({ name: z.string().min(1).max(100), rules: rulesInput.optional(), repositories: z.array(z.string()).max(1000).optional() });

const clean = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export function retentionRoutes(a: AdminServices): Route[] {
  const r = a.retention;
  const base = "/tenancies/{ns}/retention";
  const get = { operation: "GetRetentionPolicy", target: tenancyOf } as const;
  const update = { operation: "UpdateRetentionPolicy", target: tenancyOf } as const;
  return [
    { method: "GET", path: `${base}/global`, summary: "A tenancy's global retention policy (retains everything until changed)", access: get, response: retentionPolicy, status: 200, action: ({ principal, params }) => r.getGlobal(principal, params.ns!) },
    {
      method: "PUT",
      path: `${base}/global`,
      summary: "Replace the global retention policy's rules (rules left out are off); applies after the cooling period",
      access: update,
      body: rulesInput,
      response: retentionPolicy,
      status: 200,
      action: ({ principal, params, body }) => r.updateGlobal(principal, params.ns!, clean(body)),
    },
    {
      method: "GET",
      path: `${base}/policies`,
      summary: "A tenancy's override retention policies with their repositories",
      access: get,
      response: retentionPolicy,
      list: true,
      status: 200,
      action: async ({ principal, params, page }) => paginate(await r.list(principal, params.ns!), page, (p) => p.name),
    },
    {
      method: "POST",
      path: `${base}/policies`,
      summary: "Create an override retention policy, optionally with its repositories (each in at most one override)",
      access: { operation: "CreateRetentionPolicy", target: tenancyOf },
      body: createPolicy,
      response: retentionPolicy,
      status: 201,
      action: ({ principal, params, body }) => r.create(principal, params.ns!, { name: body.name, rules: clean(body.rules ?? {}), repositories: body.repositories }),
    },
    { method: "GET", path: `${base}/policies/{policy}`, summary: "One override retention policy", access: get, response: retentionPolicy, status: 200, action: ({ principal, params }) => r.get(principal, params.ns!, params.policy!) },
    {
      method: "PATCH",
      path: `${base}/policies/{policy}`,
      summary: "Change the rules given of an override retention policy; applies after the cooling period",
      access: update,
      body: rulesInput,
      response: retentionPolicy,
      status: 200,
      action: ({ principal, params, body }) => r.update(principal, params.ns!, params.policy!, clean(body)),
    },
    {
      method: "DELETE",
      path: `${base}/policies/{policy}`,
      summary: "Delete an override retention policy; its repositories fall under the global policy",
      access: { operation: "DeleteRetentionPolicy", target: tenancyOf },
      status: 204,
      action: ({ principal, params }) => r.delete(principal, params.ns!, params.policy!),
    },
    {
      method: "PUT",
      path: `${base}/policies/{policy}/repositories/{repo}`,
      summary: "Put a repository (percent-encoded) in an override retention policy",
      access: update,
      body: z.strictObject({}),
      response: retentionPolicy,
      status: 200,
      action: ({ principal, params }) => r.addRepository(principal, params.ns!, params.policy!, params.repo!),
    },
    {
      method: "DELETE",
      path: `${base}/policies/{policy}/repositories/{repo}`,
      summary: "Take a repository (percent-encoded) out of an override retention policy",
      access: update,
      status: 204,
      action: ({ principal, params }) => r.removeRepository(principal, params.ns!, params.policy!, params.repo!),
    },
    {
      method: "GET",
      path: `${base}/preview`,
      summary: "What every retention policy of the tenancy would delete now, ignoring the cooling period, and when each applies",
      access: get,
      response: retentionPreview,
      status: 200,
      action: ({ principal, params }) => r.preview(principal, params.ns!),
    },
    {
      method: "GET",
      path: `${base}/policies/{policy}/preview`,
      summary: "What one retention policy (`global` included) would delete now, ignoring the cooling period",
      access: get,
      response: retentionPreview,
      status: 200,
      action: ({ principal, params }) => r.preview(principal, params.ns!, params.policy!),
    },
  ];
}
