// Retention as the registry applies it: per tenancy, each repository under the policy in effect
// for it (the override it is in, else the global one), evaluated by retention-rules.ts on its
// images. The preview and the scheduled `retention` job share `planRetention`, so a preview
// lists exactly what a run at the same moment deletes (the run skips policies still cooling).
import type { Logger } from "pino";
import type { Job } from "../jobs/runner.js";
import { GLOBAL_RETENTION_POLICY, TagImmutable, type MetadataStore, type RetentionPolicyRecord } from "../metadata/store.js";
import { RegistryError } from "../registry/errors.js";
import { imagesToDelete, inEffect, RETAIN_ALL, retainsAll, type RetentionReason, type RetentionRules } from "./retention-rules.js";

export const RETENTION_JOB = "retention";

/** What a policy deletes now, and when it may start to. */
export interface PolicyPlan {
  name: string;
  rules: RetentionRules;
  /** the last change of its rules or repositories; null for a global policy never written (retains all) */
  changedAt: number | null;
  /** when its cooling period ends (changedAt + cooling); null when it never changed */
  effectiveAt: number | null;
  /** whether a run now applies it */
  inEffect: boolean;
  deletions: PlannedDeletion[];
}

export interface PlannedDeletion {
  repository: string;
  digest: string;
  tags: string[];
  /** why the rules select it; `index-deleted` for an untagged child that only a deleted index listed */
  reasons: (RetentionReason | "index-deleted")[];
}

/** Deletes one image as the admin API does (src/admin/images.ts), audited as `RetentionDeleteImage` by `retention-policy:<name>`. */
export type DeleteImage = (policy: string, repository: string, digest: string, detail: string) => Promise<void>;

export interface RetentionDeps {
  meta: MetadataStore;
  deleteImage: DeleteImage;
  /** how long a changed policy waits (retention.cooling) */
  cooling: number;
  now: () => number;
  log: Logger;
}

/** A tenancy's policies as they stand: the global one (retain all until written) first, then the overrides by name. */
export async function tenancyPolicies(meta: MetadataStore, tenancy: string): Promise<RetentionPolicyRecord[]> {
  const stored = await meta.retentionPolicies(tenancy);
  const global = stored.find((p) => p.name === GLOBAL_RETENTION_POLICY) ?? {
    tenancy,
    name: GLOBAL_RETENTION_POLICY,
    rules: JSON.stringify(RETAIN_ALL),
    createdAt: 0,
    changedAt: 0,
    repositories: [],
  };
  return [global, ...stored.filter((p) => p.name !== GLOBAL_RETENTION_POLICY)];
}

/**
 * What each policy of `tenancy` deletes at `now`, whatever its cooling period (`only`: that policy
 * alone). Repositories are read in pages; a policy that retains everything reads no images.
 */
export async function planRetention(meta: MetadataStore, tenancy: string, now: number, cooling: number, only?: string): Promise<PolicyPlan[]> {
  const policies = await tenancyPolicies(meta, tenancy);
  const plans = new Map<string, PolicyPlan>();
  const overrideOf = new Map<string, string>();
  for (const p of policies) {
    const never = p.changedAt === 0;
    plans.set(p.name, {
      name: p.name,
      rules: JSON.parse(p.rules) as RetentionRules,
      changedAt: never ? null : p.changedAt,
      effectiveAt: never ? null : p.changedAt + cooling,
      inEffect: inEffect(p.changedAt, cooling, now),
      deletions: [],
    });
    for (const repository of p.repositories) overrideOf.set(repository, p.name);
  }
  let last: string | undefined;
  for (;;) {
    const repositories = await meta.listRepositories({ prefix: `${tenancy}/`, last, limit: 500 });
    for (const repository of repositories) {
      const plan = plans.get(overrideOf.get(repository) ?? GLOBAL_RETENTION_POLICY)!;
      if ((only !== undefined && plan.name !== only) || retainsAll(plan.rules)) continue;
      plan.deletions.push(...(await planRepository(meta, repository, plan.rules, now)));
    }
    if (repositories.length < 500) break;
    last = repositories[repositories.length - 1];
  }
  return [...plans.values()].filter((p) => only === undefined || p.name === only);
}

/** What `rules` delete in one repository at `now`: the images they select, then the untagged children only those listed. */
export async function planRepository(meta: MetadataStore, repository: string, rules: RetentionRules, now: number): Promise<PlannedDeletion[]> {
  const images = await meta.retentionImages(repository);
  const deletions: PlannedDeletion[] = imagesToDelete(images, rules, now).map((d) => ({ repository, ...d }));
  // An index's untagged children go with it, unless an index that stays lists them too.
  const gone = new Set(deletions.map((d) => d.digest));
  const kept = new Set(images.filter((i) => !gone.has(i.digest)).flatMap((i) => i.children.map((c) => c.digest)));
  const freed = new Set<string>();
  for (const image of images) {
    if (!gone.has(image.digest)) continue;
    for (const child of image.children) {
      if (child.tagged || kept.has(child.digest) || gone.has(child.digest) || freed.has(child.digest)) continue;
      freed.add(child.digest);
      deletions.push({ repository, digest: child.digest, tags: [], reasons: ["index-deleted"] });
    }
  }
  return deletions;
}

export interface RetentionResult {
  deleted: PlannedDeletion[];
}

/** One run over every tenancy with a policy: deletes what the policies in effect select now. */
export async function applyRetention(deps: RetentionDeps, signal?: AbortSignal): Promise<RetentionResult> {
  const deleted: PlannedDeletion[] = [];
  for (const tenancy of await deps.meta.retentionTenancies()) {
    for (const plan of await planRetention(deps.meta, tenancy, deps.now(), deps.cooling)) {
      if (!plan.inEffect) continue;
      // Each repository is looked at again just before its deletions, so the window in which a
      // pull or a new tag goes unseen is one repository's, not the whole tenancy's.
      for (const repository of new Set(plan.deletions.map((d) => d.repository))) {
        for (const d of await planRepository(deps.meta, repository, plan.rules, deps.now())) {
          signal?.throwIfAborted();
          const detail = JSON.stringify({ tags: d.tags, reasons: d.reasons });
          try {
            await deps.deleteImage(plan.name, d.repository, d.digest, detail);
            deleted.push(d);
          } catch (err) {
            // Deleted meanwhile (by a client, or the repository): nothing left to do for it.
            if (err instanceof RegistryError && (err.code === "MANIFEST_UNKNOWN" || err.code === "NAME_UNKNOWN")) continue;
            // A tagged image of a repository whose tags are immutable stays: retention never deletes such a tag.
            if (err instanceof TagImmutable) {
              deps.log.info({ repository: d.repository, digest: d.digest }, "retention kept an image whose tags are immutable");
              continue;
            }
            throw err;
          }
        }
      }
    }
  }
  if (deleted.length > 0) deps.log.info({ count: deleted.length }, "retention policies deleted images");
  return { deleted };
}

/** The scheduled run (retention.enabled, every retention.interval), under the JobRunner's lease. */
export function retentionJob(deps: RetentionDeps, interval: number): Job {
  return {
    name: RETENTION_JOB,
    interval,
    async run(signal) {
      await applyRetention(deps, signal);
    },
  };
}
