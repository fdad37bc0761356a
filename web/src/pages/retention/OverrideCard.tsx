// One override policy: its rules, its repositories (add and remove) and its actions.
import { useState } from "react";
import { api } from "../../api/client";
import type { RetentionPolicy } from "../../api/types";
import { Link } from "../../app/router";
import { Button } from "../../components/Button";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Select } from "../../components/Select";
import { useAction } from "../../api/hooks";
import { PolicyDetails } from "./PolicyDetails";

export function OverrideCard({
  tenancy,
  policy,
  available,
  canUpdate,
  canDelete,
  onChanged,
  onEdit,
  onDelete,
  onPreview,
}: {
  tenancy: string;
  policy: RetentionPolicy;
  /** the tenancy's repositories in no override */
  available: string[];
  canUpdate: boolean;
  canDelete: boolean;
  onChanged: () => void;
  onEdit: () => void;
  onDelete: () => void;
  onPreview: () => void;
}) {
  const [adding, setAdding] = useState("");
  const { busy, error, run } = useAction();
  const path = (repository: string) =>
    `/tenancies/${encodeURIComponent(tenancy)}/retention/policies/${encodeURIComponent(policy.name)}/repositories/${encodeURIComponent(repository)}`;
  const titleId = `retention-policy-${policy.name}`;

  const change = (action: () => Promise<unknown>, done: string) => run(action, done, onChanged);

  const choice = available.includes(adding) ? adding : (available[0] ?? "");
  return (
    <article className="retention-card retention-override" aria-labelledby={titleId}>
      <div className="retention-card-header">
        <h3 id={titleId}>{policy.name}</h3>
        <div className="retention-actions">
          <Button type="button" variant="plain" onClick={onPreview} aria-label={`Preview ${policy.name}`}>
            Preview
          </Button>
          {canUpdate && (
            <Button type="button" onClick={onEdit} aria-label={`Edit ${policy.name}`}>
              Edit rules
            </Button>
          )}
          {canDelete && (
            <Button type="button" variant="danger" onClick={onDelete} aria-label={`Delete ${policy.name}`}>
              Delete
            </Button>
          )}
        </div>
      </div>
      <PolicyDetails policy={policy} />
      <h4>
        Repositories ({policy.repositories.length})
      </h4>
      {policy.repositories.length === 0 ? (
        <p className="retention-muted">No repositories yet: this policy applies to none until you add one.</p>
      ) : (
        <ul className="retention-repositories" aria-label={`Repositories of ${policy.name}`}>
          {policy.repositories.map((repository) => (
            <li key={repository}>
              <Link to={`/repositories/${repository}`}>{repository}</Link>
              {canUpdate && (
                <Button
                  type="button"
                  variant="plain"
                  disabled={busy}
                  aria-label={`Remove ${repository} from ${policy.name}`}
                  onClick={() => change(() => api.delete(path(repository)), `${repository} removed from ${policy.name}`)}
                >
                  Remove
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canUpdate &&
        (available.length === 0 ? (
          <p className="retention-hint">Every repository of the tenancy is already in an override.</p>
        ) : (
          <form
            className="retention-toolbar"
            onSubmit={(event) => {
              event.preventDefault();
              void change(() => api.put(path(choice), {}), `${choice} added to ${policy.name}`);
            }}
          >
            <Select label={`Repository to add to ${policy.name}`} value={choice} onChange={setAdding} options={available.map((name) => ({ value: name, label: name }))} />
            <Button type="submit" disabled={busy || choice === ""}>
              Add repository
            </Button>
          </form>
        ))}
      <ErrorMessage error={error} />
    </article>
  );
}
