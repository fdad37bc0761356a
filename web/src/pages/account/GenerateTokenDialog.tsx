// Generate an auth token: ask for a description, then show the secret once with its copy buttons.
// The secret lives only in this dialog's state, so closing it forgets it.
import { useId, useState, type FormEvent } from "react";
import { api, ApiError } from "../../api/client";
import { registryHost } from "../../app/registry-host";
import { Button } from "../../components/Button";
import { CopyButton } from "../../components/CopyButton";
import { Dialog } from "../../components/Dialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { TextField } from "../../components/TextField";
import { apiPaths } from "../iam/paths";
import type { CreatedAuthToken } from "../../api/types";

export const SHOWN_ONCE = "This token is shown only once. Copy it now; Berth stores only its hash.";

export function GenerateTokenDialog(props: { tenancy: string; user: string; onGenerated: () => void; onClose: () => void }) {
  const { tenancy, user } = props;
  const formId = useId();
  const [description, setDescription] = useState("");
  const [token, setToken] = useState<string>();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  async function generate(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = await api.post<CreatedAuthToken>(apiPaths.tokens(tenancy, user), { description: description.trim() });
      setToken(created.token);
      props.onGenerated();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  if (token !== undefined) {
    const login = `docker login ${registryHost()} -u ${tenancy}/${user}`;
    return (
      <Dialog
        title="Auth token generated"
        onClose={props.onClose}
        footer={
          <Button variant="primary" onClick={props.onClose}>
            Done
          </Button>
        }
      >
        <p className="iam-warning" role="note">
          {SHOWN_ONCE}
        </p>
        <div className="iam-secret-row">
          <TextField label="Auth token" value={token} onChange={() => {}} readOnly spellCheck={false} className="iam-secret" onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={token} label="Copy token" />
        </div>
        <p>Log in with it (paste the token as the password):</p>
        <div className="iam-secret-row">
          <code>{login}</code>
          <CopyButton text={login} label="Copy login command" />
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog
      title="Generate auth token"
      onClose={props.onClose}
      footer={
        <>
          <Button variant="plain" type="button" onClick={props.onClose}>
            Cancel
          </Button>
          <Button variant="primary" type="submit" form={formId} disabled={busy}>
            Generate
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={generate} className="iam-form-stack">
        <TextField
          label="Description"
          value={description}
          onChange={setDescription}
          hint="Where it will be used, e.g. “laptop” or “CI”, so you know which one to delete later."
          maxLength={400}
          autoFocus
        />
        <ErrorMessage error={error} />
      </form>
    </Dialog>
  );
}
