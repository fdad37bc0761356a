// The audit log's filters from the query string: `?actor=` (`ns/user`), `?action=`, `?outcome=`
// (exact), `?since=` (an ISO-8601 date or time, inclusive) and `?repository=` (a repository's
// history: events about it, its tags and its images). They narrow the log in the store,
// so a page of a filtered log is full and its cursor continues the same filtered list.
import type { AuditEvent, AuditQuery } from "../iam/store.js";
import { ApiError } from "./envelope.js";

const OUTCOMES: readonly AuditEvent["outcome"][] = ["allowed", "denied", "ok", "failed", "throttled"];

export function auditQuery(query: URLSearchParams): AuditQuery {
  const filter: AuditQuery = {};
  const text = (key: "actor" | "action" | "repository") => {
    const value = query.get(key);
    if (value === null || value === "") return;
    if (value.length > 512) throw new ApiError("INVALID", 400, `${key} is longer than 512 characters`, { [key]: value.slice(0, 100) });
    filter[key] = value;
  };
  text("actor");
  text("action");
  text("repository");
  const outcome = query.get("outcome");
  if (outcome !== null && outcome !== "") {
    if (!(OUTCOMES as readonly string[]).includes(outcome)) throw new ApiError("INVALID", 400, `outcome must be one of ${OUTCOMES.join(", ")}`, { outcome: outcome.slice(0, 100) });
    filter.outcome = outcome as AuditEvent["outcome"];
  }
  const since = query.get("since");
  if (since !== null && since !== "") {
    // A date alone is that day's start in UTC; a time must name its zone, so no server's clock setting changes the answer.
    const at = /^\d{4}-\d{2}-\d{2}$/.test(since) ? Date.parse(`${since}T00:00:00Z`) : /(Z|[+-]\d{2}:\d{2})$/.test(since) ? Date.parse(since) : NaN;
    if (Number.isNaN(at)) throw new ApiError("INVALID", 400, "since must be an ISO-8601 date (2026-01-31) or a time with its zone (2026-01-31T12:00:00Z)", { since: since.slice(0, 100) });
    filter.since = at;
  }
  return filter;
}
