// One typed, validated configuration: defaults < YAML file < environment < flags, checked once
// at start-up. The shape follows CNCF Distribution's config.yml where the meaning is the same,
// so its file keys and REGISTRY_* variables work unchanged; BERTH_* variables name the same keys.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { parseDuration } from "./duration.js";

const duration = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === "number") return value * 1000;
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a duration (e.g. 30s, 10m, 24h)` });
    return z.NEVER;
  }
  return ms;
});

const bool = z.union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])]).transform((v) =>
  typeof v === "boolean" ? v : ["true", "1", "yes"].includes(v),
);

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** A byte count between S3's smallest part (5 MiB, the last excepted) and its largest (5 GiB). */
const partSize = (fallback: number) => z.coerce.number().int().min(5 * MiB, "must be at least 5 MiB (5242880), S3's smallest part").max(5 * GiB, "must be at most 5 GiB").default(fallback);

const S3_DEFAULTS = {
  region: "us-east-1",
  forcepathstyle: false,
  secure: true,
  rootdirectory: "",
  chunksize: 10 * MiB,
  multipartcopythresholdsize: 32 * MiB,
  multipartcopychunksize: 32 * MiB,
  multipartcopymaxconcurrency: 100,
};

/** Distribution's `storage.s3` keys where they mean the same; `bucket` is required with `driver: s3`. */
const s3 = z
  .object({
    region: z.string().min(1).default(S3_DEFAULTS.region),
    /** the S3 endpoint (RGW, MinIO, …): a URL, or host[:port] with `secure` choosing the scheme; absent for AWS */
    regionendpoint: z.string().min(1).optional(),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name (3-63 of a-z, 0-9, '.', '-')").optional(),
    forcepathstyle: bool.default(S3_DEFAULTS.forcepathstyle),
    /** absent: the AWS credential chain (AWS_ACCESS_KEY_ID…, ~/.aws, an instance role) */
    accesskey: z.string().min(1).optional(),
    secretkey: z.string().min(1).optional(),
    /** `http` for a `regionendpoint` given without a scheme when false */
    secure: bool.default(S3_DEFAULTS.secure),
    /** accepted for Distribution configs; requests are always signed with Signature V4 */
    v4auth: bool.optional(),
    rootdirectory: z.string().default(S3_DEFAULTS.rootdirectory),
    chunksize: partSize(S3_DEFAULTS.chunksize),
    multipartcopythresholdsize: z.coerce.number().int().min(0).max(5 * GiB, "must be at most 5 GiB").default(S3_DEFAULTS.multipartcopythresholdsize),
    multipartcopychunksize: partSize(S3_DEFAULTS.multipartcopychunksize),
    multipartcopymaxconcurrency: z.coerce.number().int().min(1).max(1000).default(S3_DEFAULTS.multipartcopymaxconcurrency),
  })
  .strict();

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
      })
      .strict()
      .default({ addr: "0.0.0.0:5000", workers: "auto", tls: {} }),
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
        driver: z.enum(["sqlite"]).default("sqlite"),
        /** default: `<rootdirectory>/berth.db` */
        sqlite: z.object({ path: z.string().min(1).optional() }).strict().default({}),
      })
      .strict()
      .default({ driver: "sqlite", sqlite: {} }),
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
      })
      .strict()
      .default({
        enabled: true,
        operator: { namespace: "berth", user: "admin" },
        token: { service: "berth", issuer: "berth", ttl: 300_000, refreshttl: 86_400_000 },
        ratelimit: { peruseraddress: 10, peraddress: 30, window: 900_000 },
      }),
    /** background jobs (upload purging), leased in the metadata database so one process runs each */
    jobs: z
      .object({
        /** how long a job's lease lasts unrenewed: how long a dead holder keeps a job from running elsewhere */
        lease: duration.default(60_000),
      })
      .strict()
      .default({ lease: 60_000 }),
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
    const lines = result.error.issues.map((issue) => {
      const key = issue.path.join(".") || "(top level)";
      const unknown = issue.code === "unrecognized_keys" ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}` : issue.message;
      return `  ${key}: ${unknown}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const config = result.data;
  const { certificate, key } = config.http.tls;
  if (Boolean(certificate) !== Boolean(key)) {
    throw new ConfigError("invalid configuration:\n  http.tls: certificate and key must be given together");
  }
  checkS3(config);
  config.storage.filesystem.rootdirectory = resolve(config.storage.filesystem.rootdirectory);
  return config;
}

function checkS3(config: Config): void {
  if (config.storage.driver !== "s3") return;
  const s3 = config.storage.s3;
  if (!s3?.bucket) throw new ConfigError("invalid configuration:\n  storage.s3.bucket: required with storage.driver s3");
  if (Boolean(s3.accesskey) !== Boolean(s3.secretkey)) {
    throw new ConfigError("invalid configuration:\n  storage.s3: accesskey and secretkey must be given together (or neither, for the AWS credential chain)");
  }
  if (s3.regionendpoint) {
    const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(s3.regionendpoint) ? s3.regionendpoint : `${s3.secure ? "https" : "http"}://${s3.regionendpoint}`;
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      throw new ConfigError(`invalid configuration:\n  storage.s3.regionendpoint: "${s3.regionendpoint}" is not an http(s) URL or host:port`);
    }
    s3.regionendpoint = url.replace(/\/+$/, "");
  }
}

/** Every settable leaf key, for environment variables. */
const LEAF_KEYS = [
  "http.addr",
  "http.workers",
  "http.tls.certificate",
  "http.tls.key",
  "storage.driver",
  "storage.filesystem.rootdirectory",
  "storage.filesystem.directio",
  "storage.s3.region",
  "storage.s3.regionendpoint",
  "storage.s3.bucket",
  "storage.s3.forcepathstyle",
  "storage.s3.accesskey",
  "storage.s3.secretkey",
  "storage.s3.secure",
  "storage.s3.v4auth",
  "storage.s3.rootdirectory",
  "storage.s3.chunksize",
  "storage.s3.multipartcopythresholdsize",
  "storage.s3.multipartcopychunksize",
  "storage.s3.multipartcopymaxconcurrency",
  "storage.redirect.disable",
  "storage.redirect.expiry",
  "storage.delete.enabled",
  "storage.maintenance.uploadpurging.enabled",
  "storage.maintenance.uploadpurging.age",
  "storage.maintenance.uploadpurging.interval",
  "metadata.driver",
  "metadata.sqlite.path",
  "auth.enabled",
  "auth.operator.namespace",
  "auth.operator.user",
  "auth.operator.token",
  "auth.token.service",
  "auth.token.issuer",
  "auth.token.realm",
  "auth.token.ttl",
  "auth.token.refreshttl",
  "auth.ratelimit.peruseraddress",
  "auth.ratelimit.peruser",
  "auth.ratelimit.peraddress",
  "auth.ratelimit.window",
  "jobs.lease",
  "tenancy.repositorylimit",
  "log.level",
  "log.accesslog.disabled",
];

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
