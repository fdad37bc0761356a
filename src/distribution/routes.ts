// The /v2/ API as a table: path pattern, methods, the access each needs, the handler.
// Repository names contain slashes, so routes are regular expressions over the raw path; the
// name is validated against the spec's grammar before any handler runs.
import type { AccessRequest } from "../auth/authorizer.js";
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
  access: (name: string) => AccessRequest;
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

const pull = (name: string): AccessRequest => ({ repository: name, actions: ["pull"] });
const push = (name: string): AccessRequest => ({ repository: name, actions: ["push"] });
const remove = (name: string): AccessRequest => ({ repository: name, actions: ["delete"] });

const readable = (handle: Handler, access = pull) => ({ GET: { handle, access }, HEAD: { handle, access } });

export const routes: Route[] = [
  { kind: "base", pattern: /^\/v2\/?$/, hasName: false, methods: readable(apiVersion, () => ({ actions: [] })) },
  { kind: "catalog", pattern: /^\/v2\/_catalog$/, hasName: false, methods: readable(catalog, () => ({ actions: [], catalog: true })) },
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
  { kind: "blob_upload", pattern: /^\/v2\/(.+)\/blobs\/uploads\/?$/, hasName: true, methods: { POST: { handle: startUpload, access: push } } },
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
