// The audit log's filters as the URL keeps them (?actor=&action=&outcome=&since=), which are
// also the API's own query parameters: the store does the filtering.
export interface AuditFilter {
  /** `ns/user`, exactly */
  actor: string;
  /** an operation or event name, exactly */
  action: string;
  outcome: string;
  /** YYYY-MM-DD: from the start of that day in UTC */
  since: string;
}

export const OUTCOMES = ["allowed", "denied", "ok", "failed", "throttled"] as const;

const KEYS = ["actor", "action", "outcome", "since"] as const;

export function filterOf(query: URLSearchParams): AuditFilter {
  return { actor: query.get("actor") ?? "", action: query.get("action") ?? "", outcome: query.get("outcome") ?? "", since: query.get("since") ?? "" };
}

export function queryOf(filter: AuditFilter): URLSearchParams {
  const query = new URLSearchParams();
  for (const key of KEYS) if (filter[key] !== "") query.set(key, filter[key]);
  return query;
}

/** The API's query for the filter: only the filters set. */
export function apiQuery(filter: AuditFilter): Record<string, string> {
  return Object.fromEntries(KEYS.filter((key) => filter[key] !== "").map((key) => [key, filter[key]]));
}

export const isFiltered = (filter: AuditFilter) => KEYS.some((key) => filter[key] !== "");
