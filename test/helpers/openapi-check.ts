// Checks an admin API response against the OpenAPI document the registry serves: the path,
// method and status must be described, and the body must fit the schema described for them.
import { validateSchema } from "./json-schema.js";

type Document = Record<string, any>;

export interface ObservedResponse {
  method: string;
  /** the request path, raw, with /api/v1 */
  path: string;
  status: number;
  /** parsed JSON, or undefined when empty */
  body: unknown;
}

/** What in `response` the document does not describe; empty when all of it is. */
export function checkAgainstDocument(document: Document, response: ObservedResponse): string[] {
  const what = `${response.method} ${response.path} → ${response.status}`;
  const base = (document.servers?.[0]?.url as string | undefined) ?? "";
  const path = response.path.split("?")[0]!;
  if (!path.startsWith(base)) return [`${what}: outside ${base}`];
  const item = findPath(document, path.slice(base.length));
  const operation = item?.[response.method.toLowerCase()];
  if (!operation) {
    // No operation can describe a path or method that does not exist: those answer 404 / 405 errors.
    if (response.status !== (item ? 405 : 404)) return [`${what}: not in the document`];
    return validateSchema(response.body, { $ref: "#/components/schemas/Error" }, document).map((e) => `${what}: ${e}`);
  }
  const described = operation.responses?.[String(response.status)];
  if (!described) return [`${what}: status not described`];
  const schema = described.content?.["application/json"]?.schema;
  if (!schema) return response.body === undefined ? [] : [`${what}: a body where none is described`];
  if (response.body === undefined) return [`${what}: no body where one is described`];
  return validateSchema(response.body, schema, document).map((e) => `${what}: ${e}`);
}

function findPath(document: Document, path: string): Record<string, any> | undefined {
  const parts = path.split("/");
  for (const [template, item] of Object.entries(document.paths as Record<string, any>)) {
    const segments = template.split("/");
    if (segments.length !== parts.length) continue;
    if (segments.every((s, i) => (s.startsWith("{") ? parts[i] !== "" : s === parts[i]))) return item;
  }
  return undefined;
}
