// Image retention rules (OCIR's, plus "keep the newest K"), as pure functions of the images'
// facts and a clock: which images of one repository a policy deletes now, and why. Storage,
// scheduling and auditing are elsewhere; this module only decides.
import { matchWildcard } from "../iam/policy/wildcard.js";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionRules {
  /** delete images whose last pull (their push, if never pulled) is older than this many days */
  notPulledForDays: number | null;
  /** delete images that have had no tag for this many days */
  untaggedForDays: number | null;
  /** delete every image older than the newest K pushed to its repository */
  keepNewest: number | null;
  /** images carrying a tag that matches one of these (`*` matches any run) are never deleted */
  exemptTags: string[];
}

/** The global policy every tenancy starts with: retain everything. */
export const RETAIN_ALL: RetentionRules = { notPulledForDays: null, untaggedForDays: null, keepNewest: null, exemptTags: [] };

/**
 * One image as retention sees it: a manifest that stands on its own in its repository. Manifests
 * reached through an index, and referrers of a subject, are not images here: they go with theirs.
 */
export interface ImageFacts {
  digest: string;
  tags: string[];
  pushedAt: number;
  lastPulledAt: number | null;
  /** when it lost its last tag (its push, if pushed by digest); null while tagged */
  untaggedSince: number | null;
}

export type RetentionReason = "not-pulled" | "untagged" | "beyond-newest";

export interface Deletion {
  digest: string;
  tags: string[];
  reasons: RetentionReason[];
}

/** True when the rules delete nothing whatever the images (the global policy's default). */
export function retainsAll(rules: RetentionRules): boolean {
  return rules.notPulledForDays === null && rules.untaggedForDays === null && rules.keepNewest === null;
}

/** The images of one repository that `rules` delete at `now`, newest first, each with every rule that selects it. */
export function imagesToDelete(images: readonly ImageFacts[], rules: RetentionRules, now: number): Deletion[] {
  if (retainsAll(rules)) return [];
  const newestFirst = [...images].sort((a, b) => b.pushedAt - a.pushedAt || (a.digest < b.digest ? -1 : 1));
  const out: Deletion[] = [];
  newestFirst.forEach((image, rank) => {
    if (image.tags.some((tag) => rules.exemptTags.some((pattern) => matchWildcard(pattern, tag)))) return;
    const reasons: RetentionReason[] = [];
    if (rules.notPulledForDays !== null && olderThan(image.lastPulledAt ?? image.pushedAt, rules.notPulledForDays, now)) reasons.push("not-pulled");
    if (rules.untaggedForDays !== null && image.tags.length === 0 && olderThan(image.untaggedSince ?? image.pushedAt, rules.untaggedForDays, now)) {
      reasons.push("untagged");
    }
    if (rules.keepNewest !== null && rank >= rules.keepNewest) reasons.push("beyond-newest");
    if (reasons.length > 0) out.push({ digest: image.digest, tags: image.tags, reasons });
  });
  return out;
}

/** Whether a policy changed at `changedAt` applies yet: a change waits out the cooling period, so a mistake can be undone. */
export function inEffect(changedAt: number, coolingMs: number, now: number): boolean {
  return now - changedAt >= coolingMs;
}

/** Why a rule may not be saved, or undefined: day counts and K are whole numbers ≥ 1, exempt tags non-empty. */
export function invalidRules(rules: RetentionRules): string | undefined {
  for (const key of ["notPulledForDays", "untaggedForDays", "keepNewest"] as const) {
    const value = rules[key];
    if (value !== null && (!Number.isSafeInteger(value) || value < 1 || value > 100_000)) return `${key} must be a whole number from 1 to 100000, or null`;
  }
  if (rules.exemptTags.length > 100) return "at most 100 exempt tags";
  const bad = rules.exemptTags.find((tag) => !/^[A-Za-z0-9_.*-]{1,128}$/.test(tag));
  return bad === undefined ? undefined : `exempt tag "${bad.slice(0, 130)}" is not a tag or a tag pattern (letters, digits, _ . - and *)`;
}

function olderThan(at: number, days: number, now: number): boolean {
  return now - at > days * DAY_MS;
}
