// The policy statements editor: a monospace textarea, one statement per line, with a line-numbered
// gutter that marks bad lines, the bad span underlined behind the text, and the problems listed in
// a live region the textarea is described by.
import { useId, useRef, type ReactNode } from "react";
import { describeProblem, type LineProblem } from "./statements";

export function PolicyEditor(props: { value: string; onChange: (value: string) => void; problems: LineProblem[]; readOnly?: boolean }) {
  const { value, problems } = props;
  const id = useId();
  const hintId = `${id}-hint`;
  const problemsId = `${id}-problems`;
  const gutter = useRef<HTMLDivElement>(null);
  const mirror = useRef<HTMLPreElement>(null);
  const lines = value.split("\n");
  const byLine = new Map(problems.map((p) => [p.line, p]));

  return (
    <div className="policy-editor">
      <label htmlFor={id}>
        Statements
      </label>
      <p id={hintId} className="field-hint">
        One statement per line: <code>Allow group &lt;group&gt; to inspect|read|use|manage repos in tenancy [where …]</code>
      </p>
      <div className="policy-editor-frame">
        <div className="policy-gutter" ref={gutter} aria-hidden="true">
          {lines.map((_, i) => (
            <div key={i} className={byLine.has(i + 1) ? "policy-gutter-line is-bad" : "policy-gutter-line"} data-line={i + 1}>
              {i + 1}
            </div>
          ))}
        </div>
        <div className="policy-text">
          <pre className="policy-mirror" ref={mirror} aria-hidden="true">
            {lines.map((line, i) => (
              <span key={i}>
                {marked(line, byLine.get(i + 1))}
                {"\n"}
              </span>
            ))}
          </pre>
          <textarea
            id={id}
            className="policy-input"
            value={value}
            readOnly={props.readOnly}
            onChange={(e) => props.onChange(e.target.value)}
            onScroll={(e) => {
              const { scrollTop, scrollLeft } = e.currentTarget;
              if (gutter.current) gutter.current.scrollTop = scrollTop;
              if (mirror.current) {
                mirror.current.scrollTop = scrollTop;
                mirror.current.scrollLeft = scrollLeft;
              }
            }}
            rows={Math.min(20, Math.max(6, lines.length + 1))}
            wrap="off"
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            aria-invalid={problems.length > 0}
            aria-describedby={`${hintId} ${problemsId}`}
          />
        </div>
      </div>
      <div id={problemsId} className="policy-problems" aria-live="polite">
        {problems.length > 0 && (
          <ul>
            {problems.map((p) => (
              <li key={p.line}>{describeProblem(p)}</li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

/** The line with its bad span in a <mark>: `length` characters, else the word at the column. */
function marked(line: string, problem: LineProblem | undefined): ReactNode {
  if (!problem) return line;
  const start = Math.min(Math.max(problem.column - 1, 0), line.length);
  const word = /^\S*/.exec(line.slice(start))![0].length;
  const end = Math.min(line.length, start + (problem.length ?? Math.max(word, 1)));
  return (
    <>
      {line.slice(0, start)}
      <mark className="policy-bad-span">{line.slice(start, end) || " "}</mark>
      {line.slice(end)}
    </>
  );
}
