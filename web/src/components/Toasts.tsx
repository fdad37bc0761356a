import { useSyncExternalStore } from "react";
import { dismissToast, subscribeToasts, toastMessages } from "./toast";

/** The live region toasts appear in; mounted once by the shell. */
export function Toasts() {
  const messages = useSyncExternalStore(subscribeToasts, toastMessages);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {messages.map((m) => (
        <div key={m.id} className="toast">
          <span>{m.message}</span>
          <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismissToast(m.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
