// The /v2/ API as a table: path pattern, methods, the operations each needs, the handler.
// Repository names contain slashes, so routes are regular expressions over the raw path; the
// name is validated against the spec's grammar before any handler runs.
import type { Access } from "../authz/requests.js";
import { requireRepositoryName } from "../registry/validate.js";
import { apiVersion } from "./base.js";
import { deleteBlob, getBlob } from "./blobs.js";
import { catalog } from "./catalog.js";
import type { HandlerContext } from "./context.js";
import { deleteManifest, getManifest, putManifest } from "./manifests.js";
import { listReferrers } from "./referrers.js";
import { listTags } from "./tags.js";
import { appendChunk, cancelUpload, completeUpload, startUpload, uploadStatus } from "./uploads.js";

export type Handler = (ctx: HandlerContext) => Promise<void>;

export interface Method {
  handle: Handler;
  /** the operations the request needs, decided before the handler runs */
  access: (name: string, query: URLSearchParams) => Access[];
  /** audit action recorded when the request succeeds (changes only) */
  audit?: string;
}

/** What a route serves, for metrics and the access log (never the raw path: names are unbounded). */
export type RouteKind = "base" | "catalog" | "tags" | "manifest" | "blob_upload" | "blob_upload_chunk" | "blob" | "referrers";

export interface Route {
  kind: RouteKind;
  /** capture 1: repository name (when the route has one); capture 2: the last segment */
  pattern: RegExp;
  hasName: boolean;
  methods: Record<string, Method>;
}

const pull = (name: string): Access[] => [{ operation: "PullImage", repository: name }];
/** A push creates its repository when it is missing: that needs CreateContainerRepository too. */
const push = (name: string): Access[] => [
  { operation: "PushImage", repository: name },
  { operation: "CreateContainerRepository", repository: name, whenMissing: true },
];
const remove = (name: string): Access[] => [{ operation: "DeleteImage", repository: name }];
/**
 * A mount names its source with `from`: pull on it is wanted (and challenged for, so a client
 * fetches a token that carries it, as Distribution does), not needed (without it the mount falls
 * back to an upload).
 */
const startUploadAccess = (name: string, query: URLSearchParams): Access[] => {
  const from = query.get("mount") !== null ? query.get("from") : null;
  if (from === null) return push(name);
  return [...push(name), { operation: "PullImage", repository: requireRepositoryName(from), optional: true }];
};

const readable = (handle: Handler, access = pull) => ({ GET: { handle, access }, HEAD: { handle, access } });

export const routes: Route[] = [
  { kind: "base", pattern: /^\/v2\/?$/, hasName: false, methods: readable(apiVersion, () => [{ operation: "GetApiVersion" }]) },
  { kind: "catalog", pattern: /^\/v2\/_catalog$/, hasName: false, methods: readable(catalog, () => [{ operation: "ListDockerRepositories" }]) },
  { kind: "tags", pattern: /^\/v2\/(.+)\/tags\/list$/, hasName: true, methods: readable(listTags) },
  {
    kind: "manifest",
    pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/,
    hasName: true,
    methods: {
      ...readable(getManifest),
      PUT: { handle: putManifest, access: push, audit: "PushManifest" },
      DELETE: { handle: deleteManifest, access: remove, audit: "DeleteManifest" },
    },
  },
  { kind: "blob_upload", pattern: /^\/v2\/(.+)\/blobs\/uploads\/?$/, hasName: true, methods: { POST: { handle: startUpload, access: startUploadAccess } } },
  {
    kind: "blob_upload_chunk",
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
    hasName: true,
    methods: {
      GET: { handle: uploadStatus, access: push },
      PATCH: { handle: appendChunk, access: push },
      PUT: { handle: completeUpload, access: push },
      DELETE: { handle: cancelUpload, access: push },
    },
  },
  {
    kind: "blob",
    pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/,
    hasName: true,
    methods: { ...readable(getBlob), DELETE: { handle: deleteBlob, access: remove, audit: "DeleteBlob" } },
  },
  { kind: "referrers", pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/, hasName: true, methods: readable(listReferrers) },
];

export interface RouteMatch {
  route: Route;
  name: string;
  ref: string;
}

export function matchRoute(path: string): RouteMatch | undefined {
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    return route.hasName ? { route, name: m[1]!, ref: m[2] ?? "" } : { route, name: "", ref: "" };
  }
  return undefined;
}
