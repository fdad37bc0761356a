/** What the policy create and update routes put in `detail` when a statement does not parse. */
export interface StatementErrorDetail {
  statement: number;
  column: number;
  reason: string;
}
