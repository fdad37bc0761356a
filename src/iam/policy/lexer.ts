// Tokens of the policy language, produced on demand so the parser reports the leftmost mistake.
import { PolicyParseError } from "./errors.js";

export type TokenKind = "word" | "string" | "pattern" | "comma" | "lbrace" | "rbrace" | "eq" | "neq" | "eof";

export interface Token {
  kind: TokenKind;
  /** a word as written; the contents of a string or pattern, without delimiters */
  value: string;
  /** 0-based offset of the token's first character */
  start: number;
}

/** identifiers, keywords and dotted variable names share one character class */
const WORD_CHAR = /[A-Za-z0-9_.-]/;
const SPACE = /\s/;
/**
 * Straight quotes, and the typographic pair that word processors and blogs substitute for them
 * (one of the OCIR walkthroughs shows `‘REPOSITORY_CREATE’`): statements are pasted from such
 * pages. There are no escapes: OCI strings have none, and no value we compare needs a quote.
 */
const CLOSING_QUOTE: Readonly<Record<string, string>> = { "'": "'", "\u2018": "\u2019", "\u2019": "\u2019" };
/** Characters that end a pattern when they follow its closing `/` (besides the end of input). */
const AFTER_PATTERN = /[\s,}]/;
// Characters a pattern cannot contain. Repository names, operations and permissions never hold
// them, so meeting one means the closing `/` is missing: without this, `/a*, x = /b*/` would
// silently read as one pattern.
const NOT_IN_PATTERN = /[,{}'\u2018\u2019\r\n]/;

export function describeToken(t: Token): string {
  switch (t.kind) {
    case "eof":
      return "end of statement";
    case "string":
      return `'${t.value}'`;
    case "pattern":
      return `/${t.value}/`;
    case "word":
      return `"${t.value}"`;
    case "comma":
      return '","';
    case "lbrace":
      return '"{"';
    case "rbrace":
      return '"}"';
    case "eq":
      return '"="';
    case "neq":
      return '"!="';
  }
}

export class Lexer {
  private pos = 0;
  private buffered: Token | undefined;

  constructor(private readonly text: string) {}

  peek(): Token {
    this.buffered ??= this.scan();
    return this.buffered;
  }

  next(): Token {
    const t = this.peek();
    this.buffered = undefined;
    return t;
  }

  private scan(): Token {
    const s = this.text;
    while (this.pos < s.length && SPACE.test(s[this.pos] ?? "")) this.pos++;
    const start = this.pos;
    const c = s[start];
    if (c === undefined) return { kind: "eof", value: "", start };
    const single = (kind: TokenKind, length = 1): Token => {
      this.pos += length;
      return { kind, value: s.slice(start, start + length), start };
    };
    if (c === ",") return single("comma");
    if (c === "{") return single("lbrace");
    if (c === "}") return single("rbrace");
    if (c === "=") return single("eq");
    if (c === "!") {
      if (s[start + 1] === "=") return single("neq", 2);
      throw new PolicyParseError(start, 'unexpected character "!" (did you mean "!="?)');
    }
    const close = CLOSING_QUOTE[c];
    if (close !== undefined) {
      const end = s.indexOf(close, start + 1);
      if (end < 0) throw new PolicyParseError(start, `unterminated string (missing closing ${close})`);
      this.pos = end + 1;
      return { kind: "string", value: s.slice(start + 1, end), start };
    }
    if (c === "/") return this.pattern(start);
    if (WORD_CHAR.test(c)) {
      let end = start + 1;
      while (end < s.length && WORD_CHAR.test(s[end] ?? "")) end++;
      this.pos = end;
      return { kind: "word", value: s.slice(start, end), start };
    }
    if (c === '"') throw new PolicyParseError(start, "unexpected character '\"' (strings use single quotes)");
    const shown = String.fromCodePoint(s.codePointAt(start) ?? 0);
    throw new PolicyParseError(start, `unexpected character "${shown}"`);
  }

  // A pattern ends at the first `/` followed by whitespace, `,`, `}` or the end of the statement.
  // Any other `/` is literal, so repository paths work: `/team/app-*/`.
  private pattern(start: number): Token {
    const s = this.text;
    for (let i = start + 1; i < s.length; i++) {
      const c = s[i] ?? "";
      if (NOT_IN_PATTERN.test(c)) break;
      if (c !== "/") continue;
      const after = s[i + 1];
      if (after !== undefined && !AFTER_PATTERN.test(after)) continue;
      if (i === start + 1) throw new PolicyParseError(start, "empty pattern");
      this.pos = i + 1;
      return { kind: "pattern", value: s.slice(start + 1, i), start };
    }
    throw new PolicyParseError(start, 'unterminated pattern (missing closing "/")');
  }
}
