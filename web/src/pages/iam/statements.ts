// The policy editor's text: one statement per line; blank lines are spacing, not statements.

export interface StatementLine {
  /** 1-based line number in the editor */
  line: number;
  text: string;
}

/** A statement the server refuses, placed on its editor line. */
export interface LineProblem {
  line: number;
  /** 1-based column within the line */
  column: number;
  length?: number;
  message: string;
}

export function statementLines(text: string): StatementLine[] {
  return text
    .split("\n")
    .map((raw, i) => ({ line: i + 1, text: raw.replace(/\r$/, "") }))
    .filter((l) => l.text.trim() !== "");
}

/** "column 18: expected …" from the parser carries the column we already show; keep the reason. */
export function reasonOf(message: string): string {
  return message.replace(/^column \d+:\s*/, "");
}

export function describeProblem(p: LineProblem): string {
  return `Line ${p.line}, column ${p.column}: ${reasonOf(p.message)}`;
}
