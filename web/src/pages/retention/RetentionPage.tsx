// Settings → Image retention: the tenancy's global policy, its overrides with their
// repositories, and the preview of what they would delete now.
import { useState } from "react";
import { api } from "../../api/client";
import { useApi, useList } from "../../api/hooks";
import type { Repository, RetentionPolicy } from "../../api/types";
import { setQuery, useQuery } from "../../app/router";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { EmptyState } from "../../components/EmptyState";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { Page } from "../../components/Page";
import { toast } from "../../components/toast";
import { useCan, useSession } from "../../session/session";
import { OverrideCard } from "./OverrideCard";
import { ALL, Preview } from "./Preview";
import { PolicyDetails } from "./PolicyDetails";
import { RulesDialog } from "./RulesDialog";
import "./retention.css";

export function RetentionPage() {
  const { tenancy } = useSession();
  const base = `/tenancies/${encodeURIComponent(tenancy)}/retention`;
  const global = useApi<RetentionPolicy>(`${base}/global`);
  const overrides = useList<RetentionPolicy>(`${base}/policies`, { limit: 1000 });
  const repositories = useList<Repository>(`/tenancies/${encodeURIComponent(tenancy)}/repositories`, { limit: 1000 });
  const canUpdate = useCan("UpdateRetentionPolicy") === true;
  const canCreate = useCan("CreateRetentionPolicy") === true;
  const canDelete = useCan("DeleteRetentionPolicy") === true;
  const query = useQuery();
  const previewed = query.get("preview") ?? ALL;
  const [dialog, setDialog] = useState<{ kind: "global" } | { kind: "create" } | { kind: "edit"; policy: RetentionPolicy } | { kind: "delete"; policy: RetentionPolicy }>();
  const [previewKey, setPreviewKey] = useState(0);

  const changed = () => {
    global.reload();
    overrides.reload();
    setPreviewKey((k) => k + 1);
  };
  const showPreview = (policy: string) => {
    const next = new URLSearchParams(query);
    if (policy === ALL) next.delete("preview");
    else next.set("preview", policy);
    setQuery(next);
  };
  const inOverride = new Set(overrides.items.flatMap((p) => p.repositories));
  const free = repositories.items.map((r) => r.name).filter((name) => !inOverride.has(name));

  return (
    <Page title="Image retention" description="Retention policies delete images that match their rules. Changes apply after a cooling period, so a mistake can be undone before anything is deleted.">
      <section className="retention-card" aria-labelledby="retention-global-title">
        <div className="retention-card-header">
          <h2 id="retention-global-title">Global policy</h2>
          {canUpdate && global.data && (
            <Button type="button" onClick={() => setDialog({ kind: "global" })}>
              Edit global policy
            </Button>
          )}
        </div>
        <p>Applies to every repository of the tenancy that no override names.</p>
        <ErrorMessage error={global.error} />
        {global.loading && !global.data && <Loading />}
        {global.data && <PolicyDetails policy={global.data} />}
      </section>

      <section className="retention-card" aria-labelledby="retention-overrides-title">
        <div className="retention-card-header">
          <h2 id="retention-overrides-title">Override policies</h2>
          {canCreate && (
            <Button type="button" variant="primary" onClick={() => setDialog({ kind: "create" })}>
              Create policy
            </Button>
          )}
        </div>
        <p>Repositories in an override follow its rules instead of the global policy; a repository is in at most one override.</p>
        <ErrorMessage error={overrides.error} />
        {overrides.loading && overrides.items.length === 0 && <Loading />}
        {!overrides.loading && !overrides.error && overrides.items.length === 0 && (
          <EmptyState title="You have no override policies">
            {canCreate ? "Create one to give some repositories rules of their own." : "Every repository follows the global policy."}
          </EmptyState>
        )}
        {overrides.items.map((policy) => (
          <OverrideCard
            key={policy.name}
            tenancy={tenancy}
            policy={policy}
            available={free}
            canUpdate={canUpdate}
            canDelete={canDelete}
            onChanged={changed}
            onEdit={() => setDialog({ kind: "edit", policy })}
            onDelete={() => setDialog({ kind: "delete", policy })}
            onPreview={() => showPreview(policy.name)}
          />
        ))}
      </section>

      <Preview key={previewKey} tenancy={tenancy} policies={overrides.items.map((p) => p.name)} policy={previewed} onPolicy={showPreview} />

      {dialog?.kind === "global" && global.data && (
        <RulesDialog
          title="Edit global policy"
          rules={global.data.rules}
          submitLabel="Save global policy"
          onClose={() => setDialog(undefined)}
          onSubmit={async (rules) => {
            const saved = await api.put<RetentionPolicy>(`${base}/global`, rules);
            toast("Global policy saved");
            changed();
            return saved;
          }}
        />
      )}
      {dialog?.kind === "create" && (
        <RulesDialog
          title="Create override policy"
          withName
          submitLabel="Create policy"
          onClose={() => setDialog(undefined)}
          onSubmit={async (rules, name) => {
            const created = await api.post<RetentionPolicy>(`${base}/policies`, { name, rules });
            toast(`Policy ${name} created; add repositories to it`);
            changed();
            return created;
          }}
        />
      )}
      {dialog?.kind === "edit" && (
        <RulesDialog
          title={`Edit policy ${dialog.policy.name}`}
          rules={dialog.policy.rules}
          submitLabel="Save policy"
          onClose={() => setDialog(undefined)}
          onSubmit={async (rules) => {
            const saved = await api.patch<RetentionPolicy>(`${base}/policies/${encodeURIComponent(dialog.policy.name)}`, rules);
            toast(`Policy ${dialog.policy.name} saved`);
            changed();
            return saved;
          }}
        />
      )}
      {dialog?.kind === "delete" && (
        <ConfirmDialog
          title={`Delete policy ${dialog.policy.name}`}
          confirmLabel="Delete policy"
          typeToConfirm={dialog.policy.name}
          danger
          onClose={() => setDialog(undefined)}
          onConfirm={async () => {
            await api.delete(`${base}/policies/${encodeURIComponent(dialog.policy.name)}`);
            toast(`Policy ${dialog.policy.name} deleted`);
            if (previewed === dialog.policy.name) showPreview(ALL);
            changed();
          }}
        >
          Its {dialog.policy.repositories.length} {dialog.policy.repositories.length === 1 ? "repository falls" : "repositories fall"} under the global policy again.
        </ConfirmDialog>
      )}
    </Page>
  );
}
