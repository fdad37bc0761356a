// Services keep time as epoch milliseconds; the API speaks ISO-8601 UTC. The conversion happens
// here, once, on the way out: every field named below becomes `2026-12-06T22:00:14.123Z`.

/** Fields that hold a point in time (epoch ms) wherever they appear in an answer. */
export const TIME_FIELDS: ReadonlySet<string> = new Set(["at", "createdAt", "lastUsedAt", "lastPushedAt", "pushedAt", "lastPulledAt", "retiredAt", "expiresAt", "changedAt", "effectiveAt"]);

/** A copy of `value` with every time field an ISO string (null stays null). */
export function toWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toWire);
  if (value === null || typeof value !== "object" || value instanceof Date) return value instanceof Date ? value.toISOString() : value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined) continue;
    out[key] = TIME_FIELDS.has(key) && typeof field === "number" ? new Date(field).toISOString() : toWire(field);
  }
  return out;
}
