// Asking the person at the terminal: a line, or a secret that is not echoed. Scripts use
// --username and --password-stdin instead, so a token never lands in argv or shell history.
import { createInterface } from "node:readline";
import { CliError, EXIT } from "./exit-codes.js";

export async function askLine(question: string): Promise<string> {
  requireTerminal();
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return (await new Promise<string>((resolve) => rl.question(question, resolve))).trim();
  } finally {
    rl.close();
  }
}

/** Reads a line in raw mode, echoing nothing; Ctrl-C aborts. */
export async function askSecret(question: string): Promise<string> {
  requireTerminal();
  const stdin = process.stdin;
  // Echo off before the prompt shows: what is typed as soon as it appears must not be echoed.
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.resume();
  stdin.setEncoding("utf8");
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = "";
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === "\r" || ch === "\n") {
            stdin.off("data", onData);
            return resolve(value);
          }
          if (ch === "\u0003") {
            stdin.off("data", onData);
            return reject(new CliError("interrupted", EXIT.other));
          }
          if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on("data", onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write("\n");
  }
}

/** All of stdin, without the trailing newline(s) `echo` and here-strings add. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/[\r\n]+$/, "");
}

function requireTerminal(): void {
  if (!process.stdin.isTTY) throw new CliError("stdin is not a terminal: give --username and --password-stdin", EXIT.invalid);
}
