// `berth usage`: what a repository, a tenancy or (operators) every tenancy uses.
import { seg, type CommandSpec } from "./command-spec.js";
import { CliError, EXIT } from "./exit-codes.js";


const daysOf = (value: string) => {
  const n = Number(value);
  if (!/^\d{1,3}$/.test(value) || n < 1 || n > 366) throw new CliError("--days must be a whole number from 1 to 366", EXIT.invalid);
  return n;
};

export const USAGE_COMMANDS: CommandSpec[] = [
  {
    path: ["usage"],
    summary: "stored bytes (each blob once), quota, images, tags, pulls and egress per day: of a repository, a tenancy, or (operators) every tenancy",
    examples: ["berth usage --tenancy acme", "berth usage --repo acme/app --days 7", "berth usage"],
    options: [
      { flags: "--tenancy <ns>", description: "one tenancy's usage" },
      { flags: "--repo <ns/repo>", description: "one repository's usage" },
      { flags: "--days <n>", description: "days of pulls and egress, today included (1..366, default 30)", parse: daysOf },
    ],
    // Without --tenancy or --repo: every tenancy, a page at a time.
    list: true,
    columns: ["namespace", "storedBytes", "storageQuota", "repositories", "manifests", "tags", "pulls"],
    call: (o) => {
      if (o.tenancy !== undefined && o.repo !== undefined) throw new CliError("give --tenancy or --repo, not both", EXIT.invalid);
      const query: Record<string, string> = o.days === undefined ? {} : { days: String(o.days) };
      if (o.repo !== undefined) return { method: "GET", path: `/repositories/${seg(o.repo)}/usage`, query };
      if (o.tenancy !== undefined) return { method: "GET", path: `/tenancies/${seg(o.tenancy)}/usage`, query };
      return { method: "GET", path: "/usage", query };
    },
  },
];
