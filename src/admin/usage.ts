// What a repository or a tenancy uses: stored bytes (each blob once per repository, and once per
// tenancy however many of its repositories hold it), images and tags, and pulls and egress per
// day. The caller has decided already.
import type { DailyUsage, UsageScope } from "../metadata/store.js";
import type { AdminContext } from "./context.js";
import { invalid, notFound } from "./errors.js";
import { parseRepositoryName } from "./repositories.js";

const DAY_MS = 86_400_000;
export const DEFAULT_USAGE_DAYS = 30;
const MAX_USAGE_DAYS = 366;

export interface DayUsage {
  /** the UTC day, YYYY-MM-DD */
  date: string;
  pulls: number;
  egressBytes: number;
}

/** Pulls and egress over the last `days` days (today included), every day listed. */
export interface UsageWindow {
  days: number;
  pulls: number;
  egressBytes: number;
  daily: DayUsage[];
}

export interface RepositoryUsage {
  name: string;
  /** bytes of the blobs linked into it, each once */
  storedBytes: number;
  /** images (manifests) */
  manifests: number;
  tags: number;
  immutableTags: boolean;
  /** pulls since it was pushed (every manifest's count) */
  totalPulls: number;
  window: UsageWindow;
}

/** `?days=`: 1 to 366, 30 when absent. */
export function usageDays(value: string | null | undefined): number {
  if (value === null || value === undefined || value === "") return DEFAULT_USAGE_DAYS;
  const days = Number(value);
  if (!/^\d{1,3}$/.test(value) || days < 1 || days > MAX_USAGE_DAYS) throw invalid(`days must be a whole number from 1 to ${MAX_USAGE_DAYS}`);
  return days;
}

export class UsageAdmin {
  constructor(private readonly ctx: AdminContext) {}

  async repository(name: string, days: number): Promise<RepositoryUsage> {
    parseRepositoryName(name);
    const info = await this.ctx.iam.getRepositoryInfo(name);
    if (!info) throw notFound(`repository ${name}`);
    const [stats, stored, window] = await Promise.all([
      this.ctx.meta.repositoryStats([name]),
      this.ctx.meta.storedBytes([name]),
      this.window({ repository: name }, days),
    ]);
    const s = stats.get(name)!;
    return { name, storedBytes: stored.get(name) ?? 0, manifests: s.manifests, tags: s.tags, immutableTags: info.immutableTags, totalPulls: s.pulls, window };
  }

  /** Pulls and egress of `scope` over the last `days` days, with what this process has not written yet. */
  async window(scope: UsageScope, days: number): Promise<UsageWindow> {
    await this.ctx.registry.pulls.flush();
    const today = Math.floor(this.ctx.now() / DAY_MS);
    const from = today - days + 1;
    const recorded = new Map<number, DailyUsage>((await this.ctx.meta.dailyUsage(scope, from)).map((d) => [d.day, d]));
    const daily: DayUsage[] = [];
    let pulls = 0;
    let egressBytes = 0;
    for (let day = from; day <= today; day++) {
      const d = recorded.get(day);
      daily.push({ date: new Date(day * DAY_MS).toISOString().slice(0, 10), pulls: d?.pulls ?? 0, egressBytes: d?.egressBytes ?? 0 });
      pulls += d?.pulls ?? 0;
      egressBytes += d?.egressBytes ?? 0;
    }
    return { days, pulls, egressBytes, daily };
  }
}
