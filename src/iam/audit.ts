// The audit log: who did what to which repository or IAM object, and every denied request.
// Events are buffered and written in batches so that recording never slows a request down.
import type { Logger } from "pino";
import type { Principal } from "./principal.js";
import type { AuditEvent, IamStore } from "./store.js";

/** Who acted: a principal, or the registry itself on someone's standing order (`retention-policy:<name>`). */
export type Actor = Principal | { kind: "system"; name: string };

export interface AuditEntry {
  actor: Actor;
  action: string;
  target: string;
  outcome: AuditEvent["outcome"];
  tenancy?: string | null;
  address?: string | null;
  detail?: string;
}

export class AuditLog {
  private pending: AuditEvent[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: IamStore,
    private readonly log: Logger,
    private readonly now: () => number,
    flushEveryMs = 1000,
  ) {
    this.timer = setInterval(() => void this.flush(), flushEveryMs);
    this.timer.unref();
  }

  record(entry: AuditEntry): void {
    const tenancy = entry.tenancy ?? (entry.actor.kind === "user" ? entry.actor.tenancy : null);
    this.pending.push({
      at: this.now(),
      tenancy,
      actor: entry.actor.name,
      action: entry.action,
      target: entry.target,
      outcome: entry.outcome,
      address: entry.address ?? null,
      detail: entry.detail ?? null,
    });
    // A flood of denials must not grow memory without bound.
    if (this.pending.length >= 1000) void this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.store.appendAudit(batch);
    } catch (err) {
      this.log.error({ err, lost: batch.length }, "writing audit events failed");
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
