import { useState } from "react";
import { api, ApiError } from "../../api/client";
import { useList } from "../../api/hooks";
import type { RetentionPolicy } from "../../api/types";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Select } from "../../components/Select";
import { toast } from "../../components/toast";
import { useCan } from "../../session/session";
import { namespaceOf } from "./names";

const GLOBAL = "";
/** Overrides are few (a tenancy's own); one page holds them all. */
const ALL = { limit: 1000 };

/**
 * Which retention policy covers a repository: the tenancy's global one, or the one override that
 * lists it. Changing it moves the repository out of its override and into the chosen one.
 */
export function RetentionMembership({ name }: { name: string }) {
  const namespace = namespaceOf(name);
  const canRead = useCan("GetRetentionPolicy");
  const canUpdate = useCan("UpdateRetentionPolicy");
  const base = `/tenancies/${encodeURIComponent(namespace)}/retention/policies`;
  const policies = useList<RetentionPolicy>(canRead ? base : null, ALL);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  if (!canRead) return null;

  const current = policies.items.find((p) => p.repositories.includes(name))?.name ?? GLOBAL;
  const member = (policy: string) => `${base}/${encodeURIComponent(policy)}/repositories/${encodeURIComponent(name)}`;

  const move = async (to: string) => {
    if (to === current) return;
    setBusy(true);
    setError(undefined);
    try {
      if (current !== GLOBAL) await api.delete(member(current));
      if (to !== GLOBAL) await api.put(member(to), {});
      toast(to === GLOBAL ? `${name} follows the global retention policy` : `${name} follows the retention policy ${to}`);
    } catch (err) {
      if (err instanceof ApiError) setError(err);
      else throw err;
    } finally {
      setBusy(false);
      policies.reload();
    }
  };

  if (!canUpdate || policies.items.length === 0) {
    return (
      <p className="repo-retention">
        Retention policy: <strong>{current === GLOBAL ? "Global default" : current}</strong>
      </p>
    );
  }
  return (
    <div className="repo-retention">
      <Select
        label="Retention policy"
        value={current}
        disabled={busy || policies.loading}
        onChange={move}
        options={[{ value: GLOBAL, label: "Global default" }, ...policies.items.map((p) => ({ value: p.name, label: p.name }))]}
      />
      <ErrorMessage error={error} />
    </div>
  );
}
