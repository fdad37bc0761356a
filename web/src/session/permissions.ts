// What the signed-in user may do, asked of GET /api/v1/permissions: operations asked in the same
// tick for one target travel in one request, and answers are kept for the page's life.
import { api } from "../api/client";
import type { Permissions } from "../api/types";

export interface CanTarget {
  repository?: string;
  user?: string;
  group?: string;
}

/** per target key: operation → allowed (absent while unknown) */
const known = new Map<string, Map<string, boolean>>();
const asked = new Map<string, Set<string>>();
const pending = new Map<string, { target: CanTarget; operations: Set<string> }>();
const listeners = new Set<() => void>();
let flushQueued = false;

export function targetKey(target?: CanTarget): string {
  return `${target?.repository ?? ""}\u0000${target?.user ?? ""}\u0000${target?.group ?? ""}`;
}

export function subscribePermissions(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function permission(operation: string, target?: CanTarget): boolean | undefined {
  return known.get(targetKey(target))?.get(operation);
}

/** Asks for `operation` on `target` unless it is known or already asked. */
export function askPermission(operation: string, target?: CanTarget): void {
  const key = targetKey(target);
  let seen = asked.get(key);
  if (!seen) asked.set(key, (seen = new Set()));
  if (seen.has(operation)) return;
  seen.add(operation);
  let batch = pending.get(key);
  if (!batch) pending.set(key, (batch = { target: target ?? {}, operations: new Set() }));
  batch.operations.add(operation);
  if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flush);
  }
}

function flush(): void {
  flushQueued = false;
  const batches = [...pending.entries()];
  pending.clear();
  for (const [key, { target, operations }] of batches) void fetchBatch(key, target, [...operations]);
}

async function fetchBatch(key: string, target: CanTarget, operations: string[]): Promise<void> {
  let allowed: Set<string>;
  try {
    const answer = await api.get<Permissions>("/permissions", { operations: operations.join(","), repository: target.repository, user: target.user, group: target.group });
    allowed = new Set(answer.allowed);
  } catch {
    // Unknown counts as no: a hidden control is safer than one that fails (the API decides anyway).
    allowed = new Set();
  }
  let entry = known.get(key);
  if (!entry) known.set(key, (entry = new Map()));
  for (const operation of operations) entry.set(operation, allowed.has(operation));
  for (const listener of listeners) listener();
}

/** Signing out (or in as someone else) forgets every answer. */
export function forgetPermissions(): void {
  known.clear();
  asked.clear();
  pending.clear();
  for (const listener of listeners) listener();
}
