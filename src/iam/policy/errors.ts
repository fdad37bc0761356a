// A parse error that says where and why, so the console and the CLI can point at the mistake.

export class PolicyParseError extends Error {
  /** 0-based offset into the statement text (UTF-16 code units) */
  readonly position: number;
  /** 1-based column: `position + 1` */
  readonly column: number;
  /** the message without the column prefix */
  readonly reason: string;
  /** how many UTF-16 code units the offending token spans (absent at the end of the statement) */
  readonly length?: number;

  constructor(position: number, reason: string, length?: number) {
    super(`column ${position + 1}: ${reason}`);
    this.name = "PolicyParseError";
    this.position = position;
    this.column = position + 1;
    this.reason = reason;
    if (length !== undefined) this.length = length;
  }
}
