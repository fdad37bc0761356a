// The other serving processes of this machine, as the registry sees them. Most of what processes
// share lives in the stores; this is for what only one process holds: the running SHA-256 of an
// upload session, which `node:crypto` cannot hand over. The transport is src/server/peer-link.ts.

export type PeerMessage =
  /** Upload `id`'s first `size` bytes are written; another process appended them (and may go on). */
  | { op: "upload-grew"; id: string; size: number }
  /** The digest of upload `id`'s first `size` bytes, if this process holds its running hash. */
  | { op: "upload-digest"; id: string; size: number }
  /** Upload `id` is gone (cancelled, purged or abandoned after a failed push), or was cut back: a running hash of it is useless. */
  | { op: "upload-gone"; id: string };

export type PeerHandler = (message: PeerMessage) => Promise<string | undefined>;

export interface Peers {
  /** Tells every other process; nothing comes back. */
  tell(message: PeerMessage): void;
  /**
   * Asks every other process. Resolves with the first answer that is not undefined, or with
   * undefined once every process has answered without one (or has gone, or took too long).
   */
  ask(message: PeerMessage): Promise<string | undefined>;
  /** Sets what this process answers to the others. */
  answer(handler: PeerHandler): void;
}

/** Whether `value` is a message of this contract (it crossed a process boundary). */
export function isPeerMessage(value: unknown): value is PeerMessage {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Record<string, unknown>;
  if (typeof m.id !== "string") return false;
  if (m.op === "upload-gone") return true;
  return (m.op === "upload-grew" || m.op === "upload-digest") && Number.isSafeInteger(m.size) && (m.size as number) >= 0;
}
