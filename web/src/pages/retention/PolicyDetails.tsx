// A policy's rules, exempt tags and pending change, as the seeds' "Policy Details" read.
import type { RetentionPolicy } from "../../api/types";
import { describeExempt, describeRules } from "./rules";

/** A policy's rules and exempt tags as the seeds' "Policy Details". */
export function PolicyDetails({ policy }: { policy: RetentionPolicy }) {
  return (
    <dl className="details">
      <dt>Policy details</dt>
      <dd>
        <ul className="plain-list">
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
          <dd>after the cooling period, {new Date(policy.effectiveAt).toLocaleString()}</dd>
        </>
      )}
    </dl>
  );
}
