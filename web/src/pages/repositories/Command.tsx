import { CopyButton } from "../../components/CopyButton";

/** A shell command to run, as code, with a button that copies it. */
export function Command({ command, label }: { command: string; label: string }) {
  return (
    <div className="repo-command">
      <code>{command}</code>
      <CopyButton text={command} label={label} />
    </div>
  );
}
