// `berth login` and `berth logout`: check a user's auth token against a registry and keep it in a
// profile, or forget it. The token is read from the terminal without echo, or from stdin.
import type { Command } from "commander";
import { apiError, CliError, EXIT } from "./exit-codes.js";
import { askLine, askSecret, readStdin } from "./prompts.js";
import { profileName, Profiles, type Profile } from "./profiles.js";
import { outputFormat } from "./run.js";
import { renderJson } from "./output.js";
import { HttpTransport, parseRegistryUrl } from "./transport.js";

const LOGIN = /^[^/\s]+\/[^/\s]+$/;

/** Before the token is asked for: over plain HTTP to another machine it would travel in clear. */
function warnIfCleartext(base: URL): void {
  if (base.protocol !== "http:" || isLoopback(base.hostname)) return;
  process.stderr.write(
    `berth: warning: ${base.origin} is plain HTTP: the auth token would cross the network in clear text with every command; use https:// unless that network is yours alone\n`,
  );
}

const isLoopback = (host: string) => host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);

export function registerLoginCommands(program: Command): void {
  program
    .command("login")
    .description("log in to a Berth registry as <namespace>/<user> with an auth token, and keep it in a profile")
    .argument("<url>", "the registry, e.g. https://registry.example.com (https when no scheme is given)")
    .option("-u, --username <ns/user>", "who to log in as, `<namespace>/<user>` (asked on a terminal otherwise)")
    .option("--password-stdin", "read the auth token from stdin (for scripts; never put it on the command line)")
    .option("--insecure", "accept any TLS certificate (a self-signed registry; tests only)")
    .option("--ca <file>", "trust this CA certificate (PEM) for the registry's TLS")
    .option("--profile <name>", "the profile to keep the login in (also BERTH_PROFILE; default: default)")
    .option("-o, --output <format>", "json or table (default: table on a terminal, json otherwise)")
    .addHelpText(
      "after",
      `
Examples:
  $ berth login https://registry.example.com
  $ printf %s "$TOKEN" | berth login https://registry.example.com --username acme/alice --password-stdin
  $ berth login https://localhost:5000 --ca ./ca.pem --profile local
`,
    )
    .action(async (url: string, o: Record<string, any>) => {
      const format = outputFormat(o);
      const base = parseRegistryUrl(url);
      warnIfCleartext(base);
      if (o.passwordStdin && !o.username) throw new CliError("--password-stdin needs --username <namespace>/<user>", EXIT.invalid);
      const login: string = o.username ?? (await askLine("Username (<namespace>/<user>): "));
      if (!LOGIN.test(login)) throw new CliError(`log in as <namespace>/<user>, not ${JSON.stringify(login)}`, EXIT.invalid);
      const token = o.passwordStdin ? await readStdin() : await askSecret("Auth token: ");
      if (token === "") throw new CliError("no auth token given", EXIT.invalid);
      const profile: Profile = {
        url: `${base.origin}${base.pathname.replace(/\/+$/, "")}`,
        login,
        token,
        ...(o.insecure ? { insecure: true } : {}),
        ...(o.ca ? { ca: o.ca } : {}),
      };
      const answer = await new HttpTransport(profile).send({ method: "GET", path: "/whoami" });
      if (answer.status !== 200) {
        const error = apiError(answer.status, answer.body, answer.retryAfter);
        error.message = `login to ${profile.url} failed: ${error.message}`;
        throw error;
      }
      const name = profileName(o.profile);
      await new Profiles().save(name, profile);
      if (format === "json") process.stdout.write(renderJson(answer.body));
      else process.stdout.write(`Logged in to ${profile.url} as ${login} (profile ${name}).\n`);
    });

  program
    .command("logout")
    .description("forget a profile's login (the auth token itself stays valid until deleted)")
    .option("--profile <name>", "the profile (also BERTH_PROFILE; default: default)")
    .addHelpText("after", "\nExamples:\n  $ berth logout\n  $ berth logout --profile acme\n")
    .action(async (o: Record<string, any>) => {
      const name = profileName(o.profile);
      const removed = await new Profiles().remove(name);
      process.stderr.write(removed ? `Logged out (profile ${name}).\n` : `Not logged in (profile ${name}).\n`);
    });
}
