// The admin API's route table (contract §2). Each route names its operation and target; the
// router decides once from this, and openapi.ts documents exactly these routes.
import type { AdminServices } from "../admin/services.js";
import { parseRepositoryName } from "../admin/repositories.js";
import type { AuditEvent, AuditPosition } from "../iam/store.js";
import type { Principal } from "../iam/principal.js";
import { auditQuery } from "./audit-query.js";
import { repositoryTarget } from "./decision.js";
import { retentionRoutes } from "./retention-routes.js";
import { gcRoutes } from "./gc-routes.js";
import { cursorKey, decodeCursor, encodeCursor, pageOfOneMore, paginate } from "./pagination.js";
import { openApiDocument } from "./openapi.js";
import { ApiError } from "./envelope.js";
import type { PageRequest, Paged, Route, Target, TargetFacts } from "./route.js";
import * as s from "./schemas.js";
import { usageRoutes } from "./usage-routes.js";
import { permissionRoutes } from "./permissions-routes.js";
import { usageDays } from "../admin/usage.js";

const tenancyOf = ({ params }: TargetFacts): Target => ({ kind: "tenancy", tenancy: params.ns! });
const userOf = ({ params }: TargetFacts): Target => ({ kind: "user", tenancy: params.ns!, user: params.user! });
const groupOf = ({ params }: TargetFacts): Target => ({ kind: "group", tenancy: params.ns!, group: params.group! });
const registry = (): Target => ({ kind: "registry" });
/** The repository of the path, checked first: a name without its tenancy is refused before any decision. */
const repositoryOf = ({ params }: TargetFacts): Target => {
  parseRepositoryName(params.name!);
  return repositoryTarget(params.name!);
};
/** A user's own tenancy (the registry for the local operator): where "list what I may see" is asked. */
const ownTenancy = ({ principal }: TargetFacts): Target => (principal.kind === "user" ? { kind: "tenancy", tenancy: principal.tenancy } : { kind: "registry" });

const byName = (x: { name: string }) => x.name;
const FILTER = { name: "filter", description: "only names containing this text, ASCII case ignored (at most 255 characters)" };

export function adminRoutes(a: AdminServices, all: () => readonly Route[]): Route[] {
  const routes: Route[] = [
    { method: "GET", path: "/openapi.json", summary: "This document", access: "public", status: 200, raw: true, action: async () => openApiDocument(all()) },
    { method: "GET", path: "/whoami", summary: "Who the credentials belong to", access: "authenticated", response: s.whoami, status: 200, action: async ({ principal }) => whoami(principal) },

    // Tenancies
    {
      method: "GET",
      path: "/tenancies",
      summary: "Tenancies: every one for an operator, one's own otherwise",
      access: { operation: "GetTenancy", target: ownTenancy },
      response: s.tenancy,
      list: true,
      status: 200,
      action: async ({ principal, page }) => paginate(await a.tenancies.list(principal), page, (t) => t.namespace),
    },
    {
      method: "POST",
      path: "/tenancies",
      summary: "Create a tenancy (with its Administrators group and, optionally, a first administrator and token)",
      access: { operation: "CreateTenancy", target: registry },
      body: s.bodies.createTenancy,
      response: s.createdTenancy,
      status: 201,
      action: ({ principal, body }) => a.tenancies.create(principal, body),
    },
    { method: "GET", path: "/tenancies/{ns}", summary: "One tenancy", access: { operation: "GetTenancy", target: tenancyOf }, response: s.tenancy, status: 200, action: ({ principal, params }) => a.tenancies.get(principal, params.ns!) },
    {
      method: "PATCH",
      path: "/tenancies/{ns}",
      summary: "Change a tenancy's description, or (operators) its repository limit and storage quota",
      access: { operation: ({ body }) => (body?.repositoryLimit === undefined && body?.storageQuota === undefined ? "UpdateTenancy" : "UpdateTenancyLimit"), target: tenancyOf },
      body: s.bodies.updateTenancy,
      response: s.tenancy,
      status: 200,
      action: ({ principal, params, body }) => a.tenancies.update(principal, params.ns!, body),
    },
    { method: "DELETE", path: "/tenancies/{ns}", summary: "Delete an empty tenancy", access: { operation: "DeleteTenancy", target: tenancyOf }, status: 204, action: ({ principal, params }) => a.tenancies.delete(principal, params.ns!) },
    { method: "GET", path: "/tenancies/{ns}/usage", summary: "What a tenancy uses: repositories, tags, images, stored bytes and quota, pulls and egress per day (?days=, 30)", access: { operation: "ReadUsage", target: tenancyOf }, response: s.usage, status: 200, action: ({ params, query }) => a.overview.tenancyUsage(params.ns!, usageDays(query.get("days"))) },

    // Users and their auth tokens
    {
      method: "GET",
      path: "/tenancies/{ns}/users",
      summary: "Users of a tenancy",
      access: { operation: "ListUsers", target: tenancyOf },
      response: s.user,
      list: true,
      status: 200,
      action: async ({ principal, params, page }) => paginate(await a.identities.listUsers(principal, params.ns!), page, byName),
    },
    {
      method: "POST",
      path: "/tenancies/{ns}/users",
      summary: "Create a user",
      access: { operation: "CreateUser", target: tenancyOf },
      body: s.bodies.createNamed,
      response: s.user,
      status: 201,
      action: ({ principal, params, body }) => a.identities.createUser(principal, params.ns!, body),
    },
    { method: "GET", path: "/tenancies/{ns}/users/{user}", summary: "A user and their groups", access: { operation: "GetUser", target: userOf }, response: s.userDetail, status: 200, action: ({ principal, params }) => a.identities.getUser(principal, params.ns!, params.user!) },
    { method: "DELETE", path: "/tenancies/{ns}/users/{user}", summary: "Delete a user and their auth tokens", access: { operation: "DeleteUser", target: userOf }, status: 204, action: ({ principal, params }) => a.identities.deleteUser(principal, params.ns!, params.user!) },
    {
      method: "POST",
      path: "/tenancies/{ns}/users/{user}/unlock",
      summary: "Lift the failed-login throttle of a user",
      access: { operation: "UnlockUser", target: userOf },
      body: s.bodies.none,
      status: 204,
      action: ({ principal, params }) => a.identities.unlockUser(principal, params.ns!, params.user!),
    },
    {
      method: "GET",
      path: "/tenancies/{ns}/users/{user}/auth-tokens",
      summary: "A user's auth tokens (never the secrets)",
      access: { operation: "ListAuthTokens", target: userOf },
      response: s.authToken,
      list: true,
      status: 200,
      action: async ({ principal, params, page }) =>
        paginate(await a.tokens.list(principal, params.ns!, params.user!), page, (t) => `${String(t.createdAt).padStart(16, "0")} ${t.id}`),
    },
    {
      method: "POST",
      path: "/tenancies/{ns}/users/{user}/auth-tokens",
      summary: "Create an auth token; the answer is the only time it is shown",
      access: { operation: "CreateAuthToken", target: userOf },
      body: s.bodies.createAuthToken,
      response: s.createdAuthToken,
      status: 201,
      action: ({ principal, params, body }) => a.tokens.create(principal, params.ns!, params.user!, body.description ?? ""),
    },
    {
      method: "DELETE",
      path: "/tenancies/{ns}/users/{user}/auth-tokens/{id}",
      summary: "Delete an auth token; requests made with it fail from then on",
      access: { operation: "DeleteAuthToken", target: userOf },
      status: 204,
      action: ({ principal, params }) => a.tokens.delete(principal, params.ns!, params.user!, params.id!),
    },

    // Groups
    {
      method: "GET",
      path: "/tenancies/{ns}/groups",
      summary: "Groups of a tenancy",
      access: { operation: "ListGroups", target: tenancyOf },
      response: s.group,
      list: true,
      status: 200,
      action: async ({ principal, params, page }) => paginate(await a.identities.listGroups(principal, params.ns!), page, byName),
    },
    {
      method: "POST",
      path: "/tenancies/{ns}/groups",
      summary: "Create a group",
      access: { operation: "CreateGroup", target: tenancyOf },
      body: s.bodies.createNamed,
      response: s.group,
      status: 201,
      action: ({ principal, params, body }) => a.identities.createGroup(principal, params.ns!, body),
    },
    { method: "DELETE", path: "/tenancies/{ns}/groups/{group}", summary: "Delete a group", access: { operation: "DeleteGroup", target: groupOf }, status: 204, action: ({ principal, params }) => a.identities.deleteGroup(principal, params.ns!, params.group!) },
    {
      method: "GET",
      path: "/tenancies/{ns}/groups/{group}/members",
      summary: "Members of a group",
      access: { operation: "ListGroupMembers", target: groupOf },
      response: s.user,
      list: true,
      status: 200,
      action: async ({ principal, params, page }) => paginate(await a.identities.listMembers(principal, params.ns!, params.group!), page, byName),
    },
    {
      method: "POST",
      path: "/tenancies/{ns}/groups/{group}/members",
      summary: "Add a user to a group",
      access: { operation: "AddUserToGroup", target: groupOf },
      body: s.bodies.addMember,
      status: 204,
      action: ({ principal, params, body }) => a.identities.addMember(principal, params.ns!, params.group!, body.user),
    },
    {
      method: "DELETE",
      path: "/tenancies/{ns}/groups/{group}/members/{user}",
      summary: "Remove a user from a group",
      access: { operation: "RemoveUserFromGroup", target: groupOf },
      status: 204,
      action: ({ principal, params }) => a.identities.removeMember(principal, params.ns!, params.group!, params.user!),
    },

    // Policies
    {
      method: "GET",
      path: "/tenancies/{ns}/policies",
      summary: "Policies of a tenancy",
      access: { operation: "ListPolicies", target: tenancyOf },
      response: s.policy,
      list: true,
      status: 200,
      action: async ({ principal, params, page }) => paginate(await a.policies.list(principal, params.ns!), page, byName),
    },
    {
      method: "POST",
      path: "/tenancies/{ns}/policies",
      summary: "Create a policy; every statement must parse",
      access: { operation: "CreatePolicy", target: tenancyOf },
      body: s.bodies.createPolicy,
      response: s.policy,
      status: 201,
      action: ({ principal, params, body }) => a.policies.create(principal, params.ns!, body),
    },
    {
      method: "POST",
      path: "/tenancies/{ns}/policies/check",
      summary: "Check policy statements as create would, saving nothing: per statement ok, or the reason, its 1-based column and length",
      access: { operation: "ListPolicies", target: tenancyOf },
      body: s.bodies.checkPolicy,
      response: s.policyCheck,
      status: 200,
      action: async ({ principal, params, body }) => ({ statements: await a.policies.check(principal, params.ns!, body.statements) }),
    },
    { method: "GET", path: "/tenancies/{ns}/policies/{policy}", summary: "One policy", access: { operation: "GetPolicy", target: tenancyOf }, response: s.policy, status: 200, action: ({ principal, params }) => a.policies.get(principal, params.ns!, params.policy!) },
    {
      method: "PATCH",
      path: "/tenancies/{ns}/policies/{policy}",
      summary: "Replace a policy's statements or description",
      access: { operation: "UpdatePolicy", target: tenancyOf },
      body: s.bodies.updatePolicy,
      response: s.policy,
      status: 200,
      action: ({ principal, params, body }) => a.policies.update(principal, params.ns!, params.policy!, body),
    },
    { method: "DELETE", path: "/tenancies/{ns}/policies/{policy}", summary: "Delete a policy", access: { operation: "DeletePolicy", target: tenancyOf }, status: 204, action: ({ principal, params }) => a.policies.delete(principal, params.ns!, params.policy!) },

    // A tenancy's repositories and audit log
    {
      method: "GET",
      path: "/tenancies/{ns}/repositories",
      summary: "Repositories of a tenancy that the caller may see, with their statistics; ?filter= keeps names containing it (case ignored)",
      query: [FILTER],

      access: { operation: "ListDockerRepositories", target: tenancyOf },
      response: s.repository,
      list: true,
      status: 200,
      action: async ({ principal, params, page, query }) => paginate(await a.repositories.list(principal, params.ns!, nameFilter(query)), page, byName),
    },
    {
      method: "GET",
      path: "/tenancies/{ns}/audit",
      summary: "A tenancy's audit events, newest first (?actor=, ?action=, ?outcome=, ?since=)",
      access: { operation: "ReadAuditEvents", target: tenancyOf },
      response: s.auditEvent,
      list: true,
      status: 200,
      action: ({ principal, params, page, query }) => {
        const filter = auditQuery(query);
        return auditPage(page, (limit, after) => a.audit(principal, params.ns!, limit, after, filter));
      },
    },

    // Repositories
    {
      method: "GET",
      path: "/repositories",
      summary: "Repositories: every tenancy's for an operator, the visible ones of one's own tenancy otherwise; ?filter= keeps names containing it (case ignored)",
      query: [FILTER],

      access: { operation: "ListDockerRepositories", target: registry },
      response: s.repository,
      list: true,
      status: 200,
      action: async ({ principal, page, query }) => {
        const filter = nameFilter(query);
        if (await a.overview.seesRegistry(principal)) {
          return pageOfOneMore(await a.overview.repositories({ limit: page.limit + 1, last: cursorKey(page), filter }), page.limit, byName);
        }
        return paginate(principal.kind === "user" ? await a.repositories.list(principal, principal.tenancy, filter) : [], page, byName);
      },
    },
    {
      method: "POST",
      path: "/repositories",
      summary: "Create an empty repository, private unless isPublic",
      access: { operation: "CreateContainerRepository", target: ({ body }) => (parseRepositoryName(body.name), repositoryTarget(body.name)) },
      body: s.bodies.createRepository,
      response: s.repository,
      status: 201,
      action: ({ principal, body }) => a.repositories.create(principal, body.name, { isPublic: body.isPublic }),
    },
    { method: "GET", path: "/repositories/{name}", summary: "One repository with its statistics", access: { operation: "GetContainerRepository", target: repositoryOf }, response: s.repository, status: 200, action: ({ principal, params }) => a.repositories.get(principal, params.name!) },
    {
      method: "PATCH",
      path: "/repositories/{name}",
      summary: "Make a repository public or private, or its tags immutable or mutable",
      access: { operation: "UpdateContainerRepository", target: repositoryOf },
      body: s.bodies.updateRepository,
      response: s.repository,
      status: 200,
      action: ({ principal, params, body }) => a.repositories.update(principal, params.name!, body),
    },
    { method: "DELETE", path: "/repositories/{name}", summary: "Delete a repository with its images and tags", access: { operation: "DeleteContainerRepository", target: repositoryOf }, status: 204, action: ({ principal, params }) => a.repositories.delete(principal, params.name!) },
    {
      method: "GET",
      path: "/repositories/{name}/tags",
      summary: "Tags of a repository with the digest, image size and push time of each; ?filter= keeps names containing it (case ignored)",
      query: [FILTER],

      access: { operation: "ListTags", target: repositoryOf },
      response: s.tag,
      list: true,
      status: 200,
      action: async ({ principal, params, page, query }) =>
        pageOfOneMore(await a.images.listTags(principal, params.name!, { limit: page.limit + 1, last: cursorKey(page), filter: nameFilter(query) }), page.limit, byName),
    },
    { method: "DELETE", path: "/repositories/{name}/tags/{tag}", summary: "Remove a tag (the image stays)", access: { operation: "DeleteTag", target: repositoryOf }, status: 204, action: ({ principal, params }) => a.images.deleteTag(principal, params.name!, params.tag!) },
    {
      method: "GET",
      path: "/repositories/{name}/images",
      summary: "Images (manifests) of a repository with their tags, sizes (manifest, children and blobs), pusher and pulls",
      access: { operation: "ListImages", target: repositoryOf },
      response: s.image,
      list: true,
      status: 200,
      action: async ({ principal, params, page }) =>
        pageOfOneMore(await a.images.listImages(principal, params.name!, { limit: page.limit + 1, last: cursorKey(page) }), page.limit, (i) => i.digest),
    },
    {
      method: "GET",
      path: "/repositories/{name}/images/{digest}",
      summary: "One image: sizes, tags, pusher, pulls, its layers and config summary (an image) or platforms (an index), and its referrers",
      access: { operation: "ListImages", target: repositoryOf },
      response: s.imageDetail,
      status: 200,
      action: ({ principal, params }) => a.images.getImage(principal, params.name!, params.digest!),
    },
    {
      method: "DELETE",
      path: "/repositories/{name}/images/{digest}",
      summary: "Delete an image by digest, with every tag pointing at it",
      access: { operation: "DeleteImage", target: repositoryOf },
      status: 204,
      action: ({ principal, params }) => a.images.deleteImage(principal, params.name!, params.digest!),
    },

    // The operator's registry-wide views
    {
      method: "GET",
      path: "/audit",
      summary: "Every audit event of the registry, tenancy-less ones included (operators; ?actor=, ?action=, ?outcome=, ?since=)",
      access: { operation: "ReadAuditEvents", target: registry },
      response: s.auditEvent,
      list: true,
      status: 200,
      action: ({ page, query }) => {
        const filter = auditQuery(query);
        return auditPage(page, (limit, after) => a.overview.audit(limit, after, filter));
      },
    },
    {
      method: "GET",
      path: "/usage",
      summary: "What every tenancy uses (operators; ?days=, 30)",
      access: { operation: "ReadUsage", target: registry },
      response: s.usage,
      list: true,
      status: 200,
      action: async ({ page, query }) =>
        pageOfOneMore(await a.overview.usage({ limit: page.limit + 1, last: cursorKey(page) }, usageDays(query.get("days"))), page.limit, (u) => u.namespace),
    },
    {
      method: "POST",
      path: "/signing-keys/rotate",
      summary: "Start signing registry tokens with a new key (operators)",
      access: { operation: "RotateSigningKey", target: registry },
      body: s.bodies.none,
      response: s.signingKey,
      status: 200,
      action: async ({ principal }) => ({ kid: await a.rotateSigningKey(principal) }),
    },
    ...retentionRoutes(a),
    ...gcRoutes(a),
    ...usageRoutes(a),
    ...permissionRoutes(a),
  ];
  return routes;
}

/** `?filter=`: a substring names must contain (case ignored); empty means none. */
function nameFilter(query: URLSearchParams): string | undefined {
  const filter = query.get("filter") ?? "";
  if (filter.length > 255) throw new ApiError("INVALID", 400, "filter: at most 255 characters", { length: filter.length });
  return filter === "" ? undefined : filter;
}

function whoami(p: Principal) {
  return p.kind === "user" ? { kind: p.kind, name: p.name, tenancy: p.tenancy, user: p.userName, groups: p.groups } : { kind: p.kind, name: p.name };
}

const isPosition = (v: unknown): v is AuditPosition =>
  typeof v === "object" && v !== null && Number.isSafeInteger((v as AuditPosition).at) && Number.isSafeInteger((v as AuditPosition).seen) && (v as AuditPosition).seen >= 0;

/** A page of the audit log; its cursor counts the events shown at the last page's last millisecond. */
async function auditPage(page: PageRequest, read: (limit: number, after?: AuditPosition) => Promise<AuditEvent[]>): Promise<Paged<AuditEvent>> {
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, isPosition);
  const events = await read(page.limit + 1, after);
  if (events.length <= page.limit) return { items: events };
  const items = events.slice(0, page.limit);
  const at = items[items.length - 1]!.at;
  const seen = items.filter((e) => e.at === at).length + (after?.at === at ? after.seen : 0);
  return { items, next: encodeCursor({ at, seen }) };
}
