import { useEffect, useRef, useState } from "react";
import { setQuery, useQuery } from "../../app/router";
import { TextField } from "../../components/TextField";

const DEBOUNCE_MS = 250;

/**
 * A search box whose value lives in the URL (`?<param>=`), so a reload or a shared link keeps the
 * filter. Typing updates the URL after a short pause, not on every key.
 */
export function FilterBox({ label, param, hint }: { label: string; param: string; hint?: string }) {
  const query = useQuery();
  const current = query.get(param) ?? "";
  const [text, setText] = useState(current);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const written = useRef(current);

  // Back/forward changes the URL under us: show what it says (but never undo typing in progress).
  useEffect(() => {
    if (current !== written.current) {
      written.current = current;
      setText(current);
    }
  }, [current]);
  useEffect(() => () => clearTimeout(timer.current), []);

  const change = (value: string) => {
    setText(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const next = new URLSearchParams(window.location.search);
      if (value) next.set(param, value);
      else next.delete(param);
      written.current = value;
      setQuery(next);
    }, DEBOUNCE_MS);
  };

  return <TextField label={label} type="search" value={text} onChange={change} hint={hint} />;
}

/** The filter a FilterBox keeps in the URL. */
export function useFilter(param: string): string {
  return useQuery().get(param) ?? "";
}
