export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="loading" aria-busy="true" aria-live="polite">
      {label}
    </p>
  );
}
