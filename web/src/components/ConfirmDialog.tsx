import { useState, type FormEvent, type ReactNode } from "react";
import { ApiError } from "../api/client";
import { Button } from "./Button";
import { Dialog } from "./Dialog";
import { ErrorMessage } from "./ErrorMessage";
import { TextField } from "./TextField";

export interface ConfirmDialogProps {
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  /** the confirm button enables only once this is typed */
  typeToConfirm?: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}

/** Asks before acting; on failure shows the API's error and stays open. */
export function ConfirmDialog({ title, children, confirmLabel, typeToConfirm, danger, onConfirm, onClose }: ConfirmDialogProps) {
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const ready = typeToConfirm === undefined || typed === typeToConfirm;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!ready || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError(err instanceof Error ? err : new ApiError(0, "UNKNOWN", String(err)));
      setBusy(false);
    }
  };

  return (
    <Dialog title={title} onClose={onClose}>
      <form onSubmit={submit} className="confirm-form">
        {children}
        {typeToConfirm !== undefined && (
          <TextField label={`Type ${typeToConfirm} to confirm`} value={typed} onChange={setTyped} autoComplete="off" spellCheck={false} autoFocus />
        )}
        <ErrorMessage error={error} />
        <div className="dialog-footer">
          <Button onClick={onClose} variant="plain">
            Cancel
          </Button>
          <Button type="submit" variant={danger ? "danger" : "primary"} disabled={!ready || busy} aria-busy={busy}>
            {confirmLabel}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
