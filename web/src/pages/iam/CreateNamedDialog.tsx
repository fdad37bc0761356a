// The create dialog of users and groups: a name and a description; the API's refusal shown inline.
import { useId, useState, type FormEvent } from "react";
import { ApiError } from "../../api/client";
import { Button } from "../../components/Button";
import { Dialog } from "../../components/Dialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { TextField } from "../../components/TextField";

export function CreateNamedDialog(props: {
  title: string;
  submitLabel: string;
  nameHint: string;
  onCreate: (input: { name: string; description: string }) => Promise<void>;
  onClose: () => void;
}) {
  const formId = useId();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await props.onCreate({ name: name.trim(), description: description.trim() });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      setError(err);
      setBusy(false);
    }
  }

  return (
    <Dialog
      title={props.title}
      onClose={props.onClose}
      footer={
        <>
          <Button variant="plain" type="button" onClick={props.onClose}>
            Cancel
          </Button>
          <Button variant="primary" type="submit" form={formId} disabled={busy || name.trim() === ""}>
            {props.submitLabel}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} className="iam-form-stack">
        <TextField label="Name" value={name} onChange={setName} hint={props.nameHint} required autoFocus />
        <TextField label="Description" value={description} onChange={setDescription} />
        <ErrorMessage error={error} />
      </form>
    </Dialog>
  );
}
