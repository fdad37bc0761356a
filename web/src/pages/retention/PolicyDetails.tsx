// A policy's rules, exempt tags and pending change, as the seeds' "Policy Details" read.
import type { RetentionPolicy } from "../../api/types";
import { formatDate, formatTime } from "../../format";
import { describeExempt, describeRules } from "./rules";

/** A policy's rules and exempt tags as the seeds' "Policy Details". */
export function PolicyDetails({ policy }: { policy: RetentionPolicy }) {
  return (
    <dl className="retention-details">
      <dt>Policy details</dt>
      <dd>
        <ul className="retention-rule-list">
          {describeRules(policy.rules).map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      </dd>
      <dt>Exempt tags</dt>
      <dd>{describeExempt(policy.rules)}</dd>
      {policy.effectiveAt !== null && Date.parse(policy.effectiveAt) > Date.now() && (
        <>
          <dt>Applies</dt>
          <dd>
            {formatTime(policy.effectiveAt)}, when the cooling period of the last change ends ({formatDate(policy.effectiveAt)})
          </dd>
        </>
      )}
    </dl>
  );
}
