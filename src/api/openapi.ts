// The OpenAPI 3.1 document of the admin API, generated from the route table and its zod schemas:
// what it says is what the router does. Served at GET /api/v1/openapi.json.
import { z } from "zod";
import type { Route } from "./route.js";
import { errorEnvelope } from "./schemas.js";

type Json = Record<string, unknown>;

const ERRORS: Record<number, string> = {
  400: "Invalid request (INVALID, SIZE_INVALID… see docs/API.md)",
  401: "No or bad credentials (UNAUTHORIZED), with a Basic challenge",
  403: "Not allowed (DENIED), with the reason",
  404: "No such thing (NOT_FOUND)",
  409: "Conflict with what exists (CONFLICT, LIMIT_EXCEEDED)",
  413: "Request body too large (SIZE_INVALID)",
  429: "Too many attempts (TOOMANYREQUESTS), with Retry-After",
  500: "A fault of the registry (UNKNOWN); the log has the request id",
  503: "Storage or database busy or unavailable (UNAVAILABLE), with Retry-After",
  507: "Storage full (STORAGE_FULL)",
};

let cached: { routes: readonly Route[]; document: Json } | undefined;

export function openApiDocument(routes: readonly Route[]): Json {
  if (cached?.routes === routes) return cached.document;
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase()] = operation(route);
  }
  const document: Json = {
    openapi: "3.1.0",
    info: { title: "Berth admin API", version: "1", description: "Tenancies, users, groups, policies, auth tokens, repositories, tags and images. See docs/API.md." },
    servers: [{ url: "/api/v1" }],
    paths,
    components: {
      schemas: { Error: jsonSchema(errorEnvelope, "output") },
      responses: { Error: { description: "An error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } } },
      securitySchemes: {
        basic: { type: "http", scheme: "basic", description: "`<namespace>/<user>` and an auth token" },
        session: { type: "apiKey", in: "cookie", name: "berth_session", description: "a console session (POST /session); writes also need the CSRF header" },
      },
    },
  };
  cached = { routes, document };
  return document;
}

function operation(route: Route): Json {
  const op: Json = {
    operationId: operationId(route),
    summary: route.summary,
    "x-berth-access": typeof route.access === "string" ? route.access : typeof route.access.operation === "string" ? route.access.operation : "depends on the body",
  };
  const parameters: Json[] = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
  if (route.list) {
    parameters.push(
      { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
      { name: "cursor", in: "query", required: false, schema: { type: "string" }, description: "the `next` of the previous page" },
    );
  }
  for (const q of route.query ?? []) parameters.push({ name: q.name, in: "query", required: false, schema: { type: "string" }, description: q.description });
  if (parameters.length > 0) op.parameters = parameters;
  if (route.body) op.requestBody = { required: false, content: { "application/json": { schema: jsonSchema(route.body, "input") } } };
  op.security = route.access === "public" ? [] : [{ basic: [] }, { session: [] }];
  const responses: Json = { [route.status]: success(route) };
  for (const [status, description] of Object.entries(ERRORS)) {
    // Public routes ask for no credentials, except signing in, which checks those in its body.
    if (route.access === "public" && (status === "403" || (status === "401" && !route.body))) continue;
    responses[status] = { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
  }
  op.responses = responses;
  return op;
}

function success(route: Route): Json {
  if (route.status === 204) return { description: "Done; no body" };
  const data = route.response ? jsonSchema(route.response, "output") : { type: "object" };
  const schema = route.raw
    ? data
    : route.list
      ? { type: "object", properties: { data: { type: "array", items: data }, next: { type: "string" } }, required: ["data"], additionalProperties: false }
      : { type: "object", properties: { data }, required: ["data"], additionalProperties: false };
  return { description: route.status === 201 ? "Created" : route.status === 202 ? "Accepted: under way" : "OK", content: { "application/json": { schema } } };
}

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  return rest;
}

function operationId(route: Route): string {
  const words = route.path
    .split("/")
    .filter(Boolean)
    .map((p) => (p.startsWith("{") ? `by-${p.slice(1, -1)}` : p))
    .join("-");
  return `${route.method.toLowerCase()}-${words}`.replace(/[^a-zA-Z0-9]+(.)/g, (_, c: string) => c.toUpperCase());
}
