// Live checking of the policy editor by the server's own parser: debounced, at most one request in
// flight; when text changes during a request, only the latest text is checked next.
import { useEffect, useRef, useState } from "react";
import { api, ApiError } from "../../api/client";
import { apiPaths } from "./paths";
import { statementLines, type LineProblem } from "./statements";
import type { PolicyCheck } from "../../api/types";

export const CHECK_DELAY_MS = 300;

export interface PolicyCheckState {
  /** problems of the last checked text (possibly older than what is shown while typing) */
  problems: LineProblem[];
  /** true when `problems` belong to the current text */
  current: boolean;
  /** the check itself failed (the editor still saves; the server validates then) */
  failure?: ApiError;
}

export function usePolicyCheck(tenancy: string, text: string): PolicyCheckState {
  const [result, setResult] = useState<{ text: string; problems: LineProblem[] }>();
  const [failure, setFailure] = useState<ApiError>();
  const latest = useRef(text);
  latest.current = text;
  const inFlight = useRef(false);
  const again = useRef(false);
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  useEffect(() => {
    const timer = setTimeout(() => void check(), CHECK_DELAY_MS);
    return () => clearTimeout(timer);

    async function check(): Promise<void> {
      if (inFlight.current) {
        again.current = true;
        return;
      }
      inFlight.current = true;
      try {
        do {
          again.current = false;
          const checking = latest.current;
          try {
            const problems = await problemsOf(tenancy, checking);
            if (!mounted.current) return;
            setResult({ text: checking, problems });
            setFailure(undefined);
          } catch (err) {
            if (!mounted.current) return;
            setFailure(err instanceof ApiError ? err : undefined);
          }
        } while (again.current);
      } finally {
        inFlight.current = false;
      }
    }
  }, [tenancy, text]);

  return { problems: result?.problems ?? [], current: result?.text === text, failure };
}

async function problemsOf(tenancy: string, text: string): Promise<LineProblem[]> {
  const lines = statementLines(text);
  if (lines.length === 0) return [];
  const answer = await api.post<PolicyCheck>(apiPaths.policyCheck(tenancy), { statements: lines.map((l) => l.text) });
  const problems: LineProblem[] = [];
  answer.statements.forEach((verdict, i) => {
    const line = lines[i];
    if (!verdict.ok && line) problems.push({ line: line.line, column: verdict.column, length: verdict.length, message: verdict.message });
  });
  return problems;
}
