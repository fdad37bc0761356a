// One typed, validated configuration: defaults < YAML file < environment < flags, checked once
// at start-up. The shape follows CNCF Distribution's config.yml where the meaning is the same,
// so its file keys and REGISTRY_* variables work unchanged; BERTH_* variables name the same keys.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { s3, normalizeS3, S3_KEYS } from "./s3-config.js";
import { addressRanges, bool, BOOLEAN, duration, DURATION } from "./values.js";

const POSTGRES_DEFAULTS = { poolsize: 10, statementtimeout: 30_000, tls: { enabled: false, verify: true } };
const SESSION_DEFAULTS = { idle: 30 * 60_000, ttl: 12 * 3_600_000 };
const METRICS_DEFAULTS = { enabled: true, anonymous: false, repositories: 100 };

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, "must be host:port (e.g. 0.0.0.0:5000)");

const schema = z
  .object({
    /** Distribution's config version marker; accepted and ignored */
    version: z.union([z.string(), z.number()]).optional(),
    http: z
      .object({
        addr: hostPort.default("0.0.0.0:5000"),
        /** worker processes sharing the socket: a number, or `auto` (one per core, at most 8) */
        workers: z
          .union([z.literal("auto"), z.coerce.number().int().min(1).max(64)])
          .default("auto"),
        tls: z
          .object({ certificate: z.string().optional(), key: z.string().optional() })
          .strict()
          .default({}),
        /** the whole request head must arrive within this; 0: no limit */
        headertimeout: duration.default(60_000),
        /** a request body that sends nothing for this long is cut off (408); 0: no limit */
        bodytimeout: duration.default(60_000),
        /** open connections one client address may hold per serving process; 0: any number */
        connectionsperaddress: z.coerce.number().int().nonnegative().default(256),
        /** proxies whose `X-Forwarded-For` names the client in the access log */
        trustedproxies: addressRanges.default([]),
        metrics: z
          .object({
            /** `/metrics` in Prometheus text format */
            enabled: bool.default(METRICS_DEFAULTS.enabled),
            /** with auth on, `/metrics` takes a user of the operator tenancy unless this is true */
            anonymous: bool.default(METRICS_DEFAULTS.anonymous),
            /** repositories that get their own push/pull series per process; the rest count as `(other)` */
            repositories: z.coerce.number().int().min(0).max(10_000).default(METRICS_DEFAULTS.repositories),
          })
          .strict()
          .default(() => ({ ...METRICS_DEFAULTS })),
      })
      .strict()
      .default({
        addr: "0.0.0.0:5000",
        workers: "auto",
        tls: {},
        headertimeout: 60_000,
        bodytimeout: 60_000,
        connectionsperaddress: 256,
        trustedproxies: [],
        metrics: { ...METRICS_DEFAULTS },
      }),
    storage: z
      .object({
        driver: z.enum(["filesystem", "inmemory", "s3"]).default("filesystem"),
        filesystem: z
          .object({
            rootdirectory: z.string().min(1).default("./data"),
            /** large uploads written past the page cache where the filesystem allows (direct-io.ts) */
            directio: bool.default(true),
          })
          .strict()
          .default({ rootdirectory: "./data", directio: true }),
        s3: s3.optional(),
        /** blob GETs answered with a redirect to a presigned URL (drivers that have one: s3) */
        redirect: z
          .object({ disable: bool.default(true), expiry: duration.default(20 * 60_000) })
          .strict()
          .default({ disable: true, expiry: 20 * 60_000 }),
        delete: z.object({ enabled: bool.default(true) }).strict().default({ enabled: true }),
        maintenance: z
          .object({
            uploadpurging: z
              .object({
                enabled: bool.default(true),
                age: duration.default(24 * 3_600_000),
                interval: duration.default(3_600_000),
              })
              .strict()
              .default({ enabled: true, age: 24 * 3_600_000, interval: 3_600_000 }),
          })
          .strict()
          .default({ uploadpurging: { enabled: true, age: 24 * 3_600_000, interval: 3_600_000 } }),
      })
      .strict()
      .default({
        driver: "filesystem",
        filesystem: { rootdirectory: "./data", directio: true },
        redirect: { disable: true, expiry: 20 * 60_000 },
        delete: { enabled: true },
        maintenance: { uploadpurging: { enabled: true, age: 24 * 3_600_000, interval: 3_600_000 } },
      }),
    metadata: z
      .object({
        driver: z.enum(["sqlite", "postgres"]).default("sqlite"),
        /** default: `<rootdirectory>/berth.db` */
        sqlite: z.object({ path: z.string().min(1).optional() }).strict().default({}),
        postgres: z
          .object({
            /** postgres://user:password@host:port/database; required with driver postgres */
            url: z.string().min(1).optional(),
            poolsize: z.coerce.number().int().min(1).max(1000).default(POSTGRES_DEFAULTS.poolsize),
            statementtimeout: duration.default(POSTGRES_DEFAULTS.statementtimeout),
            tls: z
              .object({
                enabled: bool.default(false),
                ca: z.string().min(1).optional(),
                certificate: z.string().min(1).optional(),
                key: z.string().min(1).optional(),
                verify: bool.default(true),
              })
              .strict()
              .default(POSTGRES_DEFAULTS.tls),
          })
          .strict()
          .default(POSTGRES_DEFAULTS),
      })
      .strict()
      .superRefine((metadata, ctx) => {
        if (metadata.driver === "postgres" && !metadata.postgres.url) {
          const message = "required with metadata.driver postgres (or BERTH_METADATA_POSTGRES_URL)";
          ctx.addIssue({ code: "custom", path: ["postgres", "url"], message, params: { verbatim: true } });
        }
      })
      .default({ driver: "sqlite", sqlite: {}, postgres: POSTGRES_DEFAULTS }),
    auth: z
      .object({
        /** false runs an open registry (anyone may push and pull), like Distribution without auth */
        enabled: bool.default(true),
        operator: z
          .object({
            /** the operator tenancy, bootstrapped on first start with its Administrators */
            namespace: z.string().default("berth"),
            user: z.string().default("admin"),
            /** the admin's first auth token; generated and printed once when absent */
            token: z.string().min(16, "must be at least 16 characters").optional(),
          })
          .strict()
          .default({ namespace: "berth", user: "admin" }),
        token: z
          .object({
            /** the `service` of the Bearer challenge and the JWT audience */
            service: z.string().min(1).default("berth"),
            issuer: z.string().min(1).default("berth"),
            /** absolute URL of the token endpoint; default: derived from each request's host */
            realm: z.string().url().optional(),
            ttl: duration.default(300_000),
            refreshttl: duration.default(86_400_000),
          })
          .strict()
          .default({ service: "berth", issuer: "berth", ttl: 300_000, refreshttl: 86_400_000 }),
        ratelimit: z
          .object({
            /** failed logins allowed for one user from one address, then from one address, within the window */
            peruseraddress: z.coerce.number().int().positive().optional(),
            /** the former name of `peruseraddress` (it counted per user alone, which let anyone lock a user out); still read */
            peruser: z.coerce.number().int().positive().optional(),
            peraddress: z.coerce.number().int().positive().default(30),
            window: duration.default(900_000),
          })
          .strict()
          .transform(({ peruseraddress, peruser, ...rest }) => ({ peruseraddress: peruseraddress ?? peruser ?? 10, ...rest }))
          .default({ peruseraddress: 10, peraddress: 30, window: 900_000 }),
        /** console sessions (POST /api/v1/session): they end after `idle` unused, and `ttl` after sign-in whatever the use */
        session: z
          .object({
            idle: duration.refine((ms) => ms >= 1000, "must be at least 1s").default(SESSION_DEFAULTS.idle),
            ttl: duration.refine((ms) => ms >= 1000, "must be at least 1s").default(SESSION_DEFAULTS.ttl),
          })
          .strict()
          .default({ ...SESSION_DEFAULTS }),
      })
      .strict()
      .default({
        enabled: true,
        operator: { namespace: "berth", user: "admin" },
        token: { service: "berth", issuer: "berth", ttl: 300_000, refreshttl: 86_400_000 },
        ratelimit: { peruseraddress: 10, peraddress: 30, window: 900_000 },
        session: { ...SESSION_DEFAULTS },
      }),
    /** background jobs (upload purging), leased in the metadata database so one process runs each */
    jobs: z
      .object({
        /** how long a job's lease lasts unrenewed: how long a dead holder keeps a job from running elsewhere */
        lease: duration.default(60_000),
      })
      .strict()
      .default({ lease: 60_000 }),
    /** online garbage collection (src/lifecycle/gc.ts), a leased job like the purging of uploads */
    gc: z
      .object({
        enabled: bool.default(true),
        /** from the end of one run to the next, across the cluster */
        interval: duration.default(3_600_000),
        /** what was linked or pushed more recently than this is left alone */
        grace: duration.default(3_600_000),
        /** also remove untagged manifests that no index lists and no subject keeps */
        untagged: bool.default(false),
      })
      .strict()
      .default({ enabled: true, interval: 3_600_000, grace: 3_600_000, untagged: false }),
    /** image retention policies (src/lifecycle/retention.ts), applied by a leased job */
    retention: z
      .object({
        enabled: bool.default(true),
        /** from the end of one run to the next, across the cluster */
        interval: duration.default(3_600_000),
        /** how long a created or changed policy waits before it deletes anything */
        cooling: duration.default(86_400_000),
      })
      .strict()
      .default({ enabled: true, interval: 3_600_000, cooling: 86_400_000 }),
    /** the web console at /console/ (src/server/console.ts) */
    console: z.object({ enabled: bool.default(true) }).strict().default({ enabled: true }),
    tenancy: z
      .object({ repositorylimit: z.coerce.number().int().nonnegative().default(500) })
      .strict()
      .default({ repositorylimit: 500 }),
    log: z
      .object({
        level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
        /** one line per request */
        accesslog: z.object({ disabled: bool.default(false) }).strict().default({ disabled: false }),
      })
      .strict()
      .default({ level: "info", accesslog: { disabled: false } }),
  })
  .strict();

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {}

/** Flags from the command line, as dotted config keys (e.g. `http.addr`). */
export type Overrides = Record<string, string | undefined>;

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  flags?: Overrides;
}

/** Environment variable prefixes, strongest last: Distribution's names, then Berth's own. */
const ENV_PREFIXES = ["REGISTRY_", "BERTH_"];

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.BERTH_CONFIG;
  let raw: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== "object" || Array.isArray(parsed)) throw new ConfigError(`config file ${file} must hold a mapping`);
      raw = parsed as Record<string, unknown>;
    }
  }
  for (const prefix of ENV_PREFIXES) {
    for (const key of LEAF_KEYS) {
      const value = env[prefix + key.replaceAll(".", "_").toUpperCase()];
      if (value !== undefined && value !== "") setPath(raw, key, value);
    }
  }
  for (const [key, value] of Object.entries(options.flags ?? {})) if (value !== undefined) setPath(raw, key, value);

  const result = schema.safeParse(raw);
  if (!result.success) {
    const lines = [...new Set(result.error.issues.map((issue) => describeIssue(issue, raw)))];
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const config = result.data;
  const { certificate, key } = config.http.tls;
  if (Boolean(certificate) !== Boolean(key)) {
    throw new ConfigError("invalid configuration:\n  http.tls: certificate and key must be given together");
  }
  const problem = normalizeS3(config.storage.driver, config.storage.s3);
  if (problem) throw new ConfigError(`invalid configuration:\n  ${problem}`);
  config.storage.filesystem.rootdirectory = resolve(config.storage.filesystem.rootdirectory);
  return config;
}

/**
 * Every settable leaf key (for environment variables) and what it expects, so that a bad value is
 * refused with a message that says what would do.
 */
const EXPECTED: Record<string, string> = {
  "http.addr": "host:port (e.g. 0.0.0.0:5000)",
  "http.workers": 'a number 1–64 or "auto"',
  "http.tls.certificate": "the path of a PEM certificate file",
  "http.tls.key": "the path of a PEM private key file",
  "http.headertimeout": DURATION,
  "http.bodytimeout": DURATION,
  "http.connectionsperaddress": "a whole number, 0 for no limit",
  "http.trustedproxies": "addresses or CIDR ranges (a YAML list, or comma-separated)",
  "http.metrics.enabled": BOOLEAN,
  "http.metrics.anonymous": BOOLEAN,
  "http.metrics.repositories": "a whole number 0–10000",
  "storage.driver": '"filesystem", "inmemory" or "s3"',
  "storage.filesystem.rootdirectory": "a directory path",
  "storage.filesystem.directio": BOOLEAN,
  "storage.redirect.disable": BOOLEAN,
  "storage.redirect.expiry": DURATION,
  "storage.delete.enabled": BOOLEAN,
  "storage.maintenance.uploadpurging.enabled": BOOLEAN,
  "storage.maintenance.uploadpurging.age": DURATION,
  "storage.maintenance.uploadpurging.interval": DURATION,
  "metadata.driver": '"sqlite" or "postgres"',
  "metadata.sqlite.path": "a file path",
  "metadata.postgres.url": "a URL such as postgres://user:password@host:5432/berth",
  "metadata.postgres.poolsize": "a whole number 1–1000",
  "metadata.postgres.statementtimeout": DURATION,
  "metadata.postgres.tls.enabled": BOOLEAN,
  "metadata.postgres.tls.ca": "the path of a PEM CA certificate file",
  "metadata.postgres.tls.certificate": "the path of a PEM client certificate file",
  "metadata.postgres.tls.key": "the path of a PEM client key file",
  "metadata.postgres.tls.verify": BOOLEAN,
  "auth.enabled": BOOLEAN,
  "auth.operator.namespace": "a lowercase namespace",
  "auth.operator.user": "a user name",
  "auth.operator.token": "a secret of at least 16 characters",
  "auth.token.service": "a non-empty name",
  "auth.token.issuer": "a non-empty name",
  "auth.token.realm": "an absolute URL (e.g. https://registry.example.com/auth/token)",
  "auth.token.ttl": DURATION,
  "auth.token.refreshttl": DURATION,
  "auth.ratelimit.peruseraddress": "a whole number above 0",
  "auth.ratelimit.peruser": "a whole number above 0 (the former name of peruseraddress)",
  "auth.ratelimit.peraddress": "a whole number above 0",
  "auth.ratelimit.window": DURATION,
  "auth.session.idle": `${DURATION}, at least 1s`,
  "auth.session.ttl": `${DURATION}, at least 1s`,
  "jobs.lease": DURATION,
  "gc.enabled": BOOLEAN,
  "gc.interval": DURATION,
  "gc.grace": DURATION,
  "gc.untagged": BOOLEAN,
  "retention.enabled": BOOLEAN,
  "retention.interval": DURATION,
  "retention.cooling": DURATION,
  "console.enabled": BOOLEAN,
  "tenancy.repositorylimit": "a whole number",
  "log.level": "one of trace, debug, info, warn, error, fatal, silent",
  "log.accesslog.disabled": BOOLEAN,
};
const LEAF_KEYS = [...Object.keys(EXPECTED), ...S3_KEYS];
/** Keys whose values are secrets: never echoed in a message. */
const SECRET_KEYS = new Set(["auth.operator.token", "storage.s3.secretkey", "metadata.postgres.url"]);

/** One line per issue: the key, what it expects, and what it got. */
function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>): string {
  const key = issue.path.join(".") || "(top level)";
  if (issue.code === "unrecognized_keys") return `  ${key}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  const expected = EXPECTED[key];
  // A check that names exactly which part of the value is wrong keeps its own words.
  const verbatim = issue.code === "custom" && (issue.params as { verbatim?: boolean } | undefined)?.verbatim;
  if (!expected || verbatim) return `  ${key}: ${issue.message}`;
  const value = valueAt(raw, issue.path);
  const got = SECRET_KEYS.has(key) ? "" : `, got ${JSON.stringify(value) ?? String(value)}`;
  return `  ${key}: expected ${expected}${got}`;
}

function valueAt(raw: Record<string, unknown>, path: PropertyKey[]): unknown {
  let node: unknown = raw;
  for (const key of path) node = typeof node === "object" && node !== null ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  return node;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}
