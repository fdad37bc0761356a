// Identity → Policies → one policy (or a new one): name, description and the statements editor,
// checked live by the server's parser; Save stays disabled while a statement is bad.
import { useState, type FormEvent } from "react";
import { api, ApiError } from "../../api/client";
import { useApi } from "../../api/hooks";
import { Link, navigate } from "../../app/router";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { Page } from "../../components/Page";
import { TextField } from "../../components/TextField";
import { toast } from "../../components/toast";
import { useCan, useSession } from "../../session/session";
import { IamNav } from "./IamNav";
import { NAME_HINT } from "./names";
import { apiPaths, links, NEW_POLICY } from "./paths";
import { PolicyEditor } from "./PolicyEditor";
import { statementLines, type LineProblem, type StatementLine } from "./statements";
import type { Policy } from "../../api/types";
import type { StatementErrorDetail } from "./statement-error";
import { usePolicyCheck } from "./use-policy-check";

export function PolicyPage({ policy }: { policy: string }) {
  const { tenancy } = useSession();
  const existing = useApi<Policy>(policy === NEW_POLICY ? null : apiPaths.policy(tenancy, policy));
  if (policy === NEW_POLICY) return <PolicyForm tenancy={tenancy} />;
  return (
    <>
      {existing.data ? (
        <PolicyForm key={existing.data.id} tenancy={tenancy} policy={existing.data} />
      ) : (
        <Page title={policy}>
          <IamNav />
          <ErrorMessage error={existing.error} />
          {existing.loading && <Loading />}
        </Page>
      )}
    </>
  );
}

function PolicyForm({ tenancy, policy }: { tenancy: string; policy?: Policy }) {
  const canWrite = useCan(policy ? "UpdatePolicy" : "CreatePolicy");
  const canDelete = useCan("DeletePolicy");
  const [name, setName] = useState("");
  const [description, setDescription] = useState(policy?.description ?? "");
  const [text, setText] = useState(policy ? policy.statements.join("\n") : "");
  const [saveError, setSaveError] = useState<{ error: ApiError; text: string; problem?: LineProblem }>();
  const [busy, setBusy] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const check = usePolicyCheck(tenancy, text);

  const lines = statementLines(text);
  // The server's refusal stands until the text changes; then the live check speaks again.
  const serverProblem = saveError?.text === text ? saveError.problem : undefined;
  const problems = serverProblem && !check.problems.some((p) => p.line === serverProblem.line) ? [...check.problems, serverProblem] : check.problems;
  const bad = problems.length > 0;
  const title = policy ? policy.name : "Create policy";

  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setSaveError(undefined);
    const statements = lines.map((l) => l.text);
    try {
      if (policy) {
        await api.patch<Policy>(apiPaths.policy(tenancy, policy.name), { description: description.trim(), statements });
        toast(`Policy ${policy.name} saved`);
      } else {
        const created = await api.post<Policy>(apiPaths.policies(tenancy), { name: name.trim(), description: description.trim(), statements });
        toast(`Policy ${created.name} created`);
        navigate(links.policy(created.name), { replace: true });
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      setSaveError({ error: err, text, problem: problemOf(err, lines) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page
      title={title}
      description={policy ? `Policy of tenancy ${tenancy}` : `A new policy of tenancy ${tenancy}`}
      actions={
        policy &&
        canDelete && (
          <Button variant="danger" onClick={() => setDeleting(true)}>
            Delete policy
          </Button>
        )
      }
    >
      <IamNav />
      <p className="iam-breadcrumb">
        <Link to={links.policies}>Policies</Link> / {policy ? policy.name : "New"}
      </p>
      <form className="iam-form-stack" onSubmit={save}>
        {!policy && <TextField label="Name" value={name} onChange={setName} hint={NAME_HINT} required autoFocus />}
        <TextField label="Description" value={description} onChange={setDescription} />
        <PolicyEditor value={text} onChange={setText} problems={problems} readOnly={canWrite === false} />
        {check.failure && <p className="field-hint">The statements could not be checked as you type ({check.failure.message}); they are checked when you save.</p>}
        <ErrorMessage error={saveError?.error} />
        {canWrite !== false && (
          <div className="iam-form-actions">
            <Button type="submit" variant="primary" disabled={busy || bad || lines.length === 0 || (!policy && name.trim() === "")}>
              {policy ? "Save policy" : "Create policy"}
            </Button>
            {bad && <span className="field-hint">Fix the statements marked above to save.</span>}
          </div>
        )}
      </form>
      {deleting && policy && (
        <ConfirmDialog
          title={`Delete policy ${policy.name}`}
          confirmLabel="Delete policy"
          typeToConfirm={policy.name}
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await api.delete(apiPaths.policy(tenancy, policy.name));
            toast(`Policy ${policy.name} deleted`);
            navigate(links.policies);
          }}
        >
          <p>What its statements grant ends from the next request, on every node.</p>
        </ConfirmDialog>
      )}
    </Page>
  );
}

/** The create/update routes name the bad statement (1-based, among those sent) and its column. */
function problemOf(err: ApiError, sent: StatementLine[]): LineProblem | undefined {
  const detail = err.detail as Partial<StatementErrorDetail> | undefined;
  if (typeof detail?.statement !== "number" || typeof detail.column !== "number") return undefined;
  const line = sent[detail.statement - 1];
  if (!line) return undefined;
  return { line: line.line, column: detail.column, message: detail.reason ?? err.message };
}
