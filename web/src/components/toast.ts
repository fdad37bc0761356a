// Short confirmations ("Repository deleted") shown by <Toasts/>; each goes after a few seconds.
export interface ToastMessage {
  id: number;
  message: string;
}

const SHOWN_MS = 5000;
let messages: ToastMessage[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function changed(): void {
  for (const listener of listeners) listener();
}

export function toast(message: string): void {
  const id = nextId++;
  messages = [...messages, { id, message }];
  changed();
  window.setTimeout(() => dismissToast(id), SHOWN_MS);
}

export function dismissToast(id: number): void {
  messages = messages.filter((m) => m.id !== id);
  changed();
}

export function toastMessages(): ToastMessage[] {
  return messages;
}

export function subscribeToasts(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
