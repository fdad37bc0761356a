// Recursive-descent parser for one policy statement:
//
//   statement  = "allow" "group" group { "," group } "to" verb resource "in" location
//                [ "where" condition ] ;
//   group      = word | string ;
//   verb       = "inspect" | "read" | "use" | "manage" ;
//   resource   = "repos" | "users" | "groups" | "policies" | "audit-events" | "all-resources" ;
//   location   = "tenancy" | "compartment" ( word | string ) ;
//   condition  = ( "any" | "all" ) "{" condition { "," condition } "}"
//              | variable ( "=" | "!=" ) ( string | pattern ) ;
//
// Keywords, verbs, resources and variable names are case-insensitive.
import { VARIABLES, type Condition, type Location, type Statement, type Variable } from "./ast.js";
import { PolicyParseError } from "./errors.js";
import { Lexer, describeToken, type Token } from "./lexer.js";
import { PERMISSIONS, RESOURCES, isPermission, isVerb, type Resource, type Verb } from "./permissions.js";

/** Statements are typed by people; anything longer is a mistake or an attack. */
export const MAX_STATEMENT_LENGTH = 4096;
/** Deep nesting is never needed and would only grow the parser's stack. */
export const MAX_CONDITION_DEPTH = 16;

/** other OCI subjects, named in the error so the author knows they are not supported here */
const OTHER_SUBJECTS = new Set(["any-user", "any-group", "dynamic-group", "service"]);

export function parseStatement(text: string): Statement {
  if (typeof text !== "string") throw new PolicyParseError(0, "a statement must be a string");
  if (text.length > MAX_STATEMENT_LENGTH) {
    throw new PolicyParseError(
      MAX_STATEMENT_LENGTH,
      `statement is too long (${text.length} characters; at most ${MAX_STATEMENT_LENGTH})`,
    );
  }
  if (text.trim() === "") throw new PolicyParseError(0, "empty statement");
  return new Parser(text).statement();
}

const isWord = (t: Token, keyword: string): boolean => t.kind === "word" && t.value.toLowerCase() === keyword;

function fail(t: Token, reason: string): never {
  throw new PolicyParseError(t.start, reason, tokenLength(t));
}

/** The token's extent in the text, so an editor can underline it. */
function tokenLength(t: Token): number | undefined {
  switch (t.kind) {
    case "eof":
      return undefined;
    case "word":
      return t.value.length;
    case "string":
    case "pattern":
      return t.value.length + 2;
    case "neq":
      return 2;
    default:
      return 1;
  }
}

function expected(what: string, t: Token): never {
  fail(t, `expected ${what} but found ${describeToken(t)}`);
}

class Parser {
  private readonly lexer: Lexer;

  constructor(private readonly text: string) {
    this.lexer = new Lexer(text);
  }

  statement(): Statement {
    this.keyword("allow");
    const subject = this.lexer.next();
    if (!isWord(subject, "group")) {
      if (subject.kind === "word" && OTHER_SUBJECTS.has(subject.value.toLowerCase())) {
        fail(subject, `unsupported subject "${subject.value}" (only "group" is supported)`);
      }
      expected('"group"', subject);
    }
    const groups = [this.name("a group name", ["to"])];
    while (this.lexer.peek().kind === "comma") {
      this.lexer.next();
      groups.push(this.name("a group name", ["to"]));
    }
    this.keyword("to");
    const verb = this.verb();
    const resource = this.resource();
    this.keyword("in");
    const location = this.location();
    const statement: Statement = { groups, verb, resource, location, text: this.text };
    const t = this.lexer.next();
    if (t.kind === "eof") return statement;
    if (!isWord(t, "where")) expected('"where" or end of statement', t);
    statement.condition = this.condition(1);
    const end = this.lexer.next();
    if (end.kind !== "eof") expected("end of statement", end);
    return statement;
  }

  private keyword(keyword: string): void {
    const t = this.lexer.next();
    if (!isWord(t, keyword)) expected(`"${keyword}"`, t);
  }

  /** a bare or quoted name; `reserved` words must be quoted, so `allow group to ...` errs where it should */
  private name(what: string, reserved: string[]): string {
    const t = this.lexer.next();
    if (t.kind === "string") {
      if (t.value.trim() === "") fail(t, `${what} cannot be empty`);
      return t.value;
    }
    if (t.kind !== "word" || reserved.includes(t.value.toLowerCase())) expected(what, t);
    return t.value;
  }

  private verb(): Verb {
    const t = this.lexer.next();
    if (t.kind !== "word") expected("a verb (inspect, read, use or manage)", t);
    const verb = t.value.toLowerCase();
    if (!isVerb(verb)) fail(t, `unknown verb "${t.value}" (expected inspect, read, use or manage)`);
    return verb;
  }

  private resource(): Resource {
    const t = this.lexer.next();
    if (t.kind !== "word") expected(`a resource type (${RESOURCE_LIST})`, t);
    const resource = RESOURCES.find((r) => r === t.value.toLowerCase());
    if (resource === undefined) fail(t, `unknown resource type "${t.value}" (expected ${RESOURCE_LIST})`);
    return resource;
  }

  private location(): Location {
    const t = this.lexer.next();
    if (isWord(t, "tenancy")) return { kind: "tenancy" };
    if (isWord(t, "compartment")) return { kind: "compartment", name: this.name("a compartment name", ["where"]) };
    expected('"tenancy" or "compartment"', t);
  }

  private condition(depth: number): Condition {
    const t = this.lexer.next();
    if (depth > MAX_CONDITION_DEPTH) fail(t, `conditions are nested too deeply (at most ${MAX_CONDITION_DEPTH} levels)`);
    if (isWord(t, "any") || isWord(t, "all")) {
      const kind = t.value.toLowerCase() as "any" | "all";
      const open = this.lexer.next();
      if (open.kind !== "lbrace") expected(`"{" after "${t.value}"`, open);
      const conditions = [this.condition(depth + 1)];
      for (;;) {
        const sep = this.lexer.next();
        if (sep.kind === "rbrace") return { kind, conditions };
        if (sep.kind === "eof") fail(sep, `missing "}" to close "${t.value} {" at column ${open.start + 1}`);
        if (sep.kind !== "comma") expected('"," or "}"', sep);
        conditions.push(this.condition(depth + 1));
      }
    }
    if (t.kind !== "word") expected("a condition", t);
    const variable = VARIABLES.find((v) => v === t.value.toLowerCase());
    if (variable === undefined) {
      fail(t, `unknown variable "${t.value}" (expected ${VARIABLES.slice(0, -1).join(", ")} or ${VARIABLES[VARIABLES.length - 1]})`);
    }
    const op = this.lexer.next();
    if (op.kind !== "eq" && op.kind !== "neq") expected(`"=" or "!=" after ${variable}`, op);
    const operator = op.kind === "eq" ? "=" : "!=";
    const v = this.lexer.next();
    if (v.kind === "pattern") return { kind: "compare", variable, operator, value: { kind: "pattern", pattern: v.value } };
    if (v.kind !== "string") expected("a quoted string or a /pattern/", v);
    checkValue(variable, v);
    return { kind: "compare", variable, operator, value: { kind: "string", value: v.value } };
  }
}

const RESOURCE_LIST = `${RESOURCES.slice(0, -1).join(", ")} or ${RESOURCES[RESOURCES.length - 1]}`;

/** A misspelt permission would never match and silently grant nothing; say so instead. */
function checkValue(variable: Variable, v: Token): void {
  if (variable === "request.permission" && !isPermission(v.value.toUpperCase())) {
    fail(v, `unknown permission '${v.value}' (expected one of ${PERMISSIONS.join(", ")})`);
  }
}
