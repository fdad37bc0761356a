import { useEffect, useState } from "react";
import { Button } from "./Button";

/** Copies `text`; says "Copied" in a polite live region. Its accessible name is `label`. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [said, setSaid] = useState("");
  useEffect(() => {
    if (!said) return;
    const timer = window.setTimeout(() => setSaid(""), 2000);
    return () => window.clearTimeout(timer);
  }, [said]);

  const copy = async () => {
    try {
      await copyText(text);
      setSaid("Copied");
    } catch {
      setSaid("Copy failed; select the text and copy it");
    }
  };

  return (
    <span className="copy">
      <Button variant="plain" className="copy-button" aria-label={label} title={label} onClick={copy}>
        {said === "Copied" ? "Copied" : "Copy"}
      </Button>
      <span className="visually-hidden" aria-live="polite">
        {said}
      </span>
    </span>
  );
}

/** The Clipboard API exists only in secure contexts (https, localhost); plain http falls back. */
async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy refused");
}
