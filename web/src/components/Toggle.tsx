import { useId } from "react";

/** An on/off switch (role="switch"), labelled by a real <label>. */
export function Toggle({ label, checked, onChange, disabled }: { label: string; checked: boolean; onChange: (checked: boolean) => void; disabled?: boolean }) {
  const id = useId();
  return (
    <div className="toggle">
      <button id={id} type="button" role="switch" aria-checked={checked} disabled={disabled} className="toggle-switch" onClick={() => onChange(!checked)}>
        <span className="toggle-knob" aria-hidden="true" />
      </button>
      <label htmlFor={id}>{label}</label>
    </div>
  );
}
