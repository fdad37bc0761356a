// A user's auth tokens: the list with last use, Generate (the secret shown once), Delete. Used by
// /account for oneself and by the user page for a tenancy's Administrators.
import { useState } from "react";
import { api } from "../../api/client";
import { useList } from "../../api/hooks";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable } from "../../components/DataTable";
import { ErrorMessage } from "../../components/ErrorMessage";
import { toast } from "../../components/toast";
import { formatTime } from "../../format";
import { useCan } from "../../session/session";
import { apiPaths } from "../iam/paths";
import type { AuthToken } from "../../api/types";
import { GenerateTokenDialog } from "./GenerateTokenDialog";
import { actionsColumn } from "../iam/actions-column";

/** Berth's fixed limit (src/server/assemble.ts maxTokensPerUser); the API refuses a third anyway. */
export const MAX_AUTH_TOKENS = 2;

export function AuthTokens({ tenancy, user }: { tenancy: string; user: string }) {
  const tokens = useList<AuthToken>(apiPaths.tokens(tenancy, user));
  const canCreate = useCan("CreateAuthToken", { user });
  const canDelete = useCan("DeleteAuthToken", { user });
  const [generating, setGenerating] = useState(false);
  const [deleting, setDeleting] = useState<AuthToken>();
  const full = tokens.items.length >= MAX_AUTH_TOKENS;

  return (
    <div className="auth-tokens">
      <p className="iam-muted">
        Auth tokens are the passwords of <code>docker login</code>, podman, skopeo and the <code>berth</code> CLI. Each user has at most{" "}
        {MAX_AUTH_TOKENS}; Berth keeps only their hash.
      </p>
      <ErrorMessage error={tokens.error} />
      <DataTable<AuthToken>
        caption={`Auth tokens of ${user}`}
        rows={tokens.items}
        rowKey={(t) => t.id}
        empty={!tokens.loading && !tokens.error && <p className="iam-muted">No auth tokens yet.</p>}
        columns={[
          { key: "description", header: "Description", render: (t) => t.description || "—" },
          { key: "created", header: "Created", render: (t) => formatTime(t.createdAt) },
          { key: "lastUsed", header: "Last used", render: (t) => (t.lastUsedAt ? formatTime(t.lastUsedAt) : "Never") },
          ...actionsColumn<AuthToken>(canDelete, (t) =>
            <Button variant="danger" onClick={() => setDeleting(t)} aria-label={`Delete token ${t.description || t.id}`}>
              Delete
            </Button>
          ),
        ]}
      />
      {canCreate && (
        <div className="iam-inline-form">
          <Button variant="primary" onClick={() => setGenerating(true)} disabled={full || tokens.loading} aria-describedby={full ? "token-limit-hint" : undefined}>
            Generate token
          </Button>
          {full && (
            <span id="token-limit-hint" className="field-hint">
              {user} has {MAX_AUTH_TOKENS} auth tokens, the most a user may have; delete one to generate another.
            </span>
          )}
        </div>
      )}
      {generating && (
        <GenerateTokenDialog
          tenancy={tenancy}
          user={user}
          onGenerated={tokens.reload}
          onClose={() => {
            setGenerating(false);
            tokens.reload();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete auth token"
          confirmLabel="Delete token"
          danger
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api.delete(apiPaths.token(tenancy, user, deleting.id));
            setDeleting(undefined);
            toast("Auth token deleted");
            tokens.reload();
          }}
        >
          <p>
            The token “{deleting.description || deleting.id}” stops working at once, and so does every registry login made with it.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
