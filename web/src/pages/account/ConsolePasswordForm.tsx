// Set a console password: new and confirm. The minimum length is the API's rule; its message says it.
import { useState, type FormEvent } from "react";
import { api, ApiError } from "../../api/client";
import { Button } from "../../components/Button";
import { TextField } from "../../components/TextField";
import { toast } from "../../components/toast";
import { apiPaths } from "../iam/paths";

export function ConsolePasswordForm({ tenancy, user }: { tenancy: string; user: string }) {
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const mismatch = confirm !== "" && confirm !== password ? "The passwords differ." : undefined;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (password !== confirm) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.put(apiPaths.consolePassword(tenancy, user), { password });
      setPassword("");
      setConfirm("");
      toast("Console password set");
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      setError(err.message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="iam-form-stack narrow" onSubmit={submit}>
      <TextField label="New password" type="password" autoComplete="new-password" value={password} onChange={setPassword} error={error} required />
      <TextField label="Confirm password" type="password" autoComplete="new-password" value={confirm} onChange={setConfirm} error={mismatch} required />
      <div>
        <Button type="submit" variant="primary" disabled={busy || password === "" || password !== confirm}>
          Set password
        </Button>
      </div>
    </form>
  );
}
