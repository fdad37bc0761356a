// Edits a policy's rules (the global one or an override), or creates an override with a name.
import { useState, type FormEvent } from "react";
import { ApiError } from "../../api/client";
import type { RetentionPolicy, RetentionRules } from "../../api/types";
import { Button } from "../../components/Button";
import { Dialog } from "../../components/Dialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { TextField } from "../../components/TextField";
import { RulesForm } from "./RulesForm";
import { draftErrors, draftOf, emptyRules, rulesOf } from "./rules";

export function RulesDialog({
  title,
  rules,
  withName,
  submitLabel,
  onSubmit,
  onClose,
}: {
  title: string;
  rules?: RetentionRules;
  /** asks for the new policy's name too */
  withName?: boolean;
  submitLabel: string;
  onSubmit: (rules: RetentionRules, name: string) => Promise<RetentionPolicy>;
  onClose: () => void;
}) {
  const [name, setName] = useState("");
  const [draft, setDraft] = useState(() => draftOf(rules ?? emptyRules));
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const nameError = tried && withName && name.trim() === "" ? "Enter a name for the policy." : undefined;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    if (Object.keys(draftErrors(draft)).length > 0 || (withName && name.trim() === "")) return;
    setBusy(true);
    setError(undefined);
    try {
      await onSubmit(rulesOf(draft), name.trim());
      onClose();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, "UNKNOWN", String(err)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog
      title={title}
      onClose={onClose}
      footer={
        <>
          <Button variant="plain" type="button" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="primary" type="submit" form="retention-rules-form" disabled={busy}>
            {submitLabel}
          </Button>
        </>
      }
    >
      <form id="retention-rules-form" onSubmit={submit} noValidate>
        {withName && <TextField label="Policy name" value={name} onChange={setName} error={nameError} required autoFocus />}
        <RulesForm draft={draft} onChange={setDraft} showErrors={tried} />
        <p className="retention-hint">Changes apply after the cooling period, so a mistake can be undone before anything is deleted.</p>
        <ErrorMessage error={error} />
      </form>
    </Dialog>
  );
}
