// A parse error that says where and why, so the console and the CLI can point at the mistake.

export class PolicyParseError extends Error {
  /** 0-based offset into the statement text (UTF-16 code units) */
  readonly position: number;
  /** 1-based column: `position + 1` */
  readonly column: number;
  /** the message without the column prefix */
  readonly reason: string;

  constructor(position: number, reason: string) {
    super(`column ${position + 1}: ${reason}`);
    this.name = "PolicyParseError";
    this.position = position;
    this.column = position + 1;
    this.reason = reason;
  }
}
