// Retention rules as the API models them, as a form edits them, and as a sentence reads them.
import type { RetentionRules } from "../../api/types";

/** The form's view of the rules: each day-count rule has a switch and the text typed in its box. */
export interface RulesDraft {
  notPulled: boolean;
  notPulledForDays: string;
  untagged: boolean;
  untaggedForDays: string;
  keep: boolean;
  keepNewest: string;
  exemptTags: string;
}

export function draftOf(rules: RetentionRules): RulesDraft {
  return {
    notPulled: rules.notPulledForDays !== null,
    notPulledForDays: String(rules.notPulledForDays ?? 30),
    untagged: rules.untaggedForDays !== null,
    untaggedForDays: String(rules.untaggedForDays ?? 30),
    keep: rules.keepNewest !== null,
    keepNewest: String(rules.keepNewest ?? 10),
    exemptTags: rules.exemptTags.join(", "),
  };
}

export const emptyRules: RetentionRules = { notPulledForDays: null, untaggedForDays: null, keepNewest: null, exemptTags: [] };

/** The body the API takes; call it once `draftErrors` finds nothing (the server checks the ranges). */
export function rulesOf(draft: RulesDraft): RetentionRules {
  const count = (on: boolean, text: string) => (on ? Number(text.trim()) : null);
  return {
    notPulledForDays: count(draft.notPulled, draft.notPulledForDays),
    untaggedForDays: count(draft.untagged, draft.untaggedForDays),
    keepNewest: count(draft.keep, draft.keepNewest),
    exemptTags: draft.exemptTags
      .split(",")
      .map((t) => t.trim())
      .filter((t) => t !== ""),
  };
}

/** Why a box holds no whole number ≥ 1, keyed by rule; the server checks the rest. */
export function draftErrors(draft: RulesDraft): Partial<Record<"notPulledForDays" | "untaggedForDays" | "keepNewest", string>> {
  const errors: Partial<Record<"notPulledForDays" | "untaggedForDays" | "keepNewest", string>> = {};
  const check = (on: boolean, text: string, key: "notPulledForDays" | "untaggedForDays" | "keepNewest", what: string) => {
    if (on && !/^\s*[1-9][0-9]{0,5}\s*$/.test(text)) errors[key] = `Enter a whole number of ${what} from 1 to 100000.`;
  };
  check(draft.notPulled, draft.notPulledForDays, "notPulledForDays", "days");
  check(draft.untagged, draft.untaggedForDays, "untaggedForDays", "days");
  check(draft.keep, draft.keepNewest, "keepNewest", "images");
  return errors;
}

/** The rules as sentences, the way the seeds' console shows "Policy Details". */
export function describeRules(rules: RetentionRules): string[] {
  const lines: string[] = [];
  if (rules.notPulledForDays !== null) lines.push(`Delete images not pulled for ${rules.notPulledForDays} ${plural(rules.notPulledForDays, "day")}`);
  if (rules.untaggedForDays !== null) lines.push(`Delete images untagged for ${rules.untaggedForDays} ${plural(rules.untaggedForDays, "day")}`);
  if (rules.keepNewest !== null) lines.push(`Keep only the newest ${rules.keepNewest} ${plural(rules.keepNewest, "image")} of each repository`);
  if (lines.length === 0) return ["Retain all images"];
  return lines;
}

export function describeExempt(rules: RetentionRules): string {
  return rules.exemptTags.length === 0 ? "No tags" : rules.exemptTags.join(", ");
}

const plural = (n: number, word: string) => (n === 1 ? word : `${word}s`);

export const reasonLabels: Record<string, string> = {
  "not-pulled": "Not pulled",
  untagged: "Untagged",
  "beyond-newest": "Beyond the newest kept",
  "index-deleted": "Only its deleted index used it",
};
