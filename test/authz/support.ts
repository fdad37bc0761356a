// Helpers for authorization tests: the audit log read straight from a running registry's
// metadata database (the registry-wide records, tenancy null, included), and a client address per
// request so each decision's record can be told apart.
import { join } from "node:path";
import { openSqliteStores } from "../../src/metadata/sqlite.js";
import type { AuditEvent } from "../../src/iam/store.js";
import type { RunningRegistry } from "../helpers/registry.js";

/** Every audit event the registry has written so far, oldest first. */
export async function auditEvents(registry: RunningRegistry): Promise<AuditEvent[]> {
  const url = registry.metadataEnv.BERTH_METADATA_POSTGRES_URL;
  const stores = url
    ? await (await import("../../src/metadata/postgres.js")).openPostgresStores({ url, poolSize: 1 })
    : await openSqliteStores(join(registry.root, "berth.db"));
  try {
    return (await stores.iam.listAudit({ limit: 100_000 })).reverse();
  } finally {
    await stores.meta.close();
  }
}

/** A distinct loopback address for the `index`th request (any of 127.0.0.0/8 reaches a loopback server). */
export function addressFor(index: number): string {
  return `127.1.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

/** The events a request from `address` caused (the server may see it as an IPv4-mapped IPv6 address). */
export function fromAddress(events: AuditEvent[], address: string): AuditEvent[] {
  return events.filter((e) => e.address === address || e.address === `::ffff:${address}`);
}
