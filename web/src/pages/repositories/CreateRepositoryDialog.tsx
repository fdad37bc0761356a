import { useState, type FormEvent } from "react";
import { api, ApiError } from "../../api/client";
import type { Repository } from "../../api/types";
import { Button } from "../../components/Button";
import { Checkbox } from "../../components/Checkbox";
import { Dialog } from "../../components/Dialog";
import { TextField } from "../../components/TextField";
import { toast } from "../../components/toast";

interface Props {
  /** the tenancy the repository goes in, shown as the name's fixed prefix */
  namespace: string;
  onClose(): void;
  onCreated(name: string): void;
}

/** Creates an empty repository; the API's refusal (an invalid name, one that exists) shows inline. */
export function CreateRepositoryDialog({ namespace, onClose, onCreated }: Props) {
  const [path, setPath] = useState("");
  const [isPublic, setPublic] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const name = `${namespace}/${path.trim()}`;
    try {
      const created = await api.post<Repository>("/repositories", { name, isPublic });
      toast(`Created ${created.name}`);
      onClose();
      onCreated(created.name);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <Dialog
      title="Create repository"
      onClose={onClose}
      footer={
        <>
          <Button variant="plain" type="button" onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="create-repository" disabled={busy || path.trim() === ""}>Create</Button>
        </>
      }
    >
      <form id="create-repository" onSubmit={submit}>
        <div className="repo-name-field">
          <span className="repo-name-prefix" aria-hidden="true">{namespace}/</span>
          <TextField
            label="Name"
            value={path}
            onChange={setPath}
            error={error}
            hint={`Created as ${namespace}/<name>: lowercase letters, digits, . _ - and / between path components`}
            autoFocus
            required
          />
        </div>
        <Checkbox label="Public: anyone may pull without signing in" checked={isPublic} onChange={setPublic} />
      </form>
    </Dialog>
  );
}
