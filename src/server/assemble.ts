// Builds the application from a configuration: stores, registry services, IAM and auth.
// Shared by `berth serve` and the offline CLI, so both see the same system.
import type { Logger } from "pino";
import { AdminError } from "../admin/errors.js";
import { GcAdmin } from "../admin/gc.js";
import { AdminServices } from "../admin/services.js";
import { OpenAuthenticator, type Authenticator } from "../auth/authorizer.js";
import { CredentialVerifier } from "../auth/credentials.js";
import { KeyRing } from "../auth/keys.js";
import { SessionService } from "../auth/sessions.js";
import { TokenAuthorizer } from "../auth/token-authorizer.js";
import { TokenEndpoint } from "../auth/token-endpoint.js";
import { TokenService } from "../auth/tokens.js";
import { OPEN_REGISTRY, PolicyAuthorization, RequestAuthorizer, type Authorization } from "../authz/index.js";
import type { Config } from "../config/config.js";
import { sqlitePath } from "../config/paths.js";
import { StartupError } from "../config/startup-error.js";
import { AccessControl } from "../iam/access.js";
import { AuditLog } from "../iam/audit.js";
import { isValidIdentifier, isValidNamespace } from "../iam/names.js";
import { LOCAL_OPERATOR } from "../iam/principal.js";
import type { IamStore } from "../iam/store.js";
import type { JobLeases } from "../jobs/leases.js";
import type { JobRuns } from "../jobs/runs.js";
import { openSqliteStores } from "../metadata/sqlite.js";
import type { MetadataStore } from "../metadata/store.js";
import { faultOf } from "../registry/errors.js";
import { Registry } from "../registry/registry.js";
import type { StorageDriver } from "../storage/driver.js";
import { FilesystemDriver, UNLINKS_BESIDE_REQUESTS } from "../storage/drivers/filesystem.js";
import { MemoryDriver } from "../storage/drivers/memory.js";
import type { ServerMetrics } from "./metrics.js";
import { timedStore } from "./metrics-stores.js";
import { usageMetrics } from "./usage-metrics.js";

export interface Auth {
  authorizer: TokenAuthorizer;
  tokenEndpoint: TokenEndpoint;
  keys: KeyRing;
  /** console sessions (POST /api/v1/session) */
  sessions: SessionService;
}

export interface App {
  config: Config;
  storage: StorageDriver;
  meta: MetadataStore;
  iam: IamStore;
  /** leases on background jobs, in the metadata database */
  jobs: JobLeases;
  /** runs of background jobs (the gc run `berth gc` follows), in the metadata database */
  runs: JobRuns;
  /** a serving process (not a CLI tool): background work takes turns with requests */
  serving: boolean;
  registry: Registry;
  audit: AuditLog;
  admin: AdminServices;
  /** who is calling (/v2, /auth, /api) */
  authenticator: Authenticator;
  /** the one decision; allows everything on /v2 in an open registry (auth.enabled: false) */
  authz: Authorization;
  /** a /v2 request's declared operations, decided before its handler */
  requests: RequestAuthorizer;
  /** present when auth.enabled */
  auth?: Auth;
  close(): Promise<void>;
}

/** What a serving process (not a CLI tool) brings to its application. */
export interface ServingProcess {
  /** its metrics (unless http.metrics is off), into which every store call is timed */
  metrics?: ServerMetrics;
}

/** `serving`: present in a serving process, whose storage then leaves room for its reads. */
export async function assemble(config: Config, log: Logger, serving?: ServingProcess): Promise<App> {
  const metrics = serving?.metrics;
  const driver = await openStorage(config, serving !== undefined);
  // Tenancies and their repository limits exist only with auth; an open registry has neither.
  const opened = await openMetadataStores(config);
  const { iam, jobs, runs } = opened;
  const storage = metrics ? timedStore(driver, "blob", metrics) : driver;
  const meta = metrics ? timedStore<MetadataStore>(opened.meta, "metadata", metrics) : opened.meta;
  const now = Date.now;
  const redirectExpiry = config.storage.redirect.disable ? undefined : Math.max(1, Math.round(config.storage.redirect.expiry / 1000));
  const registry = new Registry({ storage, meta, now, deleteEnabled: config.storage.delete.enabled, log, redirectExpiry });
  metrics?.addSource(usageMetrics(opened.meta, iam, registry.pulls, config.auth.enabled));
  const audit = new AuditLog(iam, log, now);
  const access = new AccessControl(iam, log);
  // The admin services always decide by IAM (the offline CLI's local operator may do everything).
  const authz = new PolicyAuthorization(iam, access, audit, { operatorNamespace: config.auth.operator.namespace });
  const repositoryExists = (name: string) => meta.repositoryExists(name);
  const settings = {
    operatorNamespace: config.auth.operator.namespace,
    defaultRepositoryLimit: config.tenancy.repositorylimit,
    maxTokensPerUser: 2,
    retentionCooling: config.retention.cooling,
  };

  let auth: Auth | undefined;
  if (config.auth.enabled) {
    const t = config.auth.token;
    const keys = new KeyRing(iam, now, Math.max(t.ttl, t.refreshttl));
    await keys.init();
    const tokens = new TokenService(keys, { issuer: t.issuer, service: t.service, ttl: t.ttl, refreshTtl: t.refreshttl }, now);
    const r = config.auth.ratelimit;
    const credentials = new CredentialVerifier(iam, audit, now, { perUserAddress: r.peruseraddress, perAddress: r.peraddress, window: r.window });
    const authorizer = new TokenAuthorizer(iam, tokens, credentials, { realm: t.realm, tls: Boolean(config.http.tls.certificate) });
    const session = { idle: config.auth.session.idle, ttl: config.auth.session.ttl, tls: Boolean(config.http.tls.certificate) };
    const sessions = new SessionService(iam, credentials, audit, session, now);
    auth = { authorizer, keys, sessions, tokenEndpoint: new TokenEndpoint(tokens, credentials, authz, repositoryExists, authorizer, keys, now) };
  }
  const gc = new GcAdmin({ config, storage, meta, jobs, registry, runs, serving: serving !== undefined }, log, now, audit);
  const admin = new AdminServices({ iam, meta, registry, access, authz, audit, now, log, settings }, auth?.keys, gc);
  const authenticator: Authenticator = auth?.authorizer ?? new OpenAuthenticator();
  const v2Authz = auth ? authz : OPEN_REGISTRY;
  if (auth) admin.tokens.onRevoked((id) => auth.authorizer.forgetToken(id));

  return {
    config,
    storage,
    meta,
    iam,
    jobs,
    runs,
    serving: serving !== undefined,
    registry,
    audit,
    admin,
    authenticator,
    authz: v2Authz,
    requests: new RequestAuthorizer(v2Authz, authenticator, repositoryExists),
    auth,
    async close() {
      await registry.close();
      await audit.close();
      await meta.close();
    },
  };
}

/**
 * First start with auth: creates the operator tenancy and its admin, and returns the admin's
 * first auth token when Berth generated it (the caller shows it once). Nothing runs with a
 * default password: the token is random unless the operator configured one.
 */
export async function bootstrapOperator(app: App): Promise<{ login: string; token?: string } | undefined> {
  const { namespace, user, token } = app.config.auth.operator;
  if (!isValidNamespace(namespace)) throw new Error(`auth.operator.namespace: "${namespace}" is not a valid namespace`);
  if (!isValidIdentifier(user)) throw new Error(`auth.operator.user: "${user}" is not a valid user name`);
  if (await app.iam.getTenancy(namespace)) return undefined;
  let created;
  try {
    created = await app.admin.tenancies.create(LOCAL_OPERATOR, { namespace, description: "Registry operators", adminUser: user, adminToken: token });
  } catch (err) {
    // Another node bootstrapping at the same moment created it first: it shows the token.
    if ((err instanceof AdminError && err.kind === "conflict") || faultOf(err)?.status === 409) return undefined;
    throw err;
  }
  return { login: `${namespace}/${user}`, token: token === undefined ? created.token : undefined };
}

/** True when the operator exists and none of its auth tokens was ever used to log in. */
export async function operatorNeverLoggedIn(app: App): Promise<boolean> {
  const { namespace, user } = app.config.auth.operator;
  const admin = await app.iam.getUser(namespace, user);
  if (!admin) return false;
  return (await app.iam.listAuthTokens(admin.id)).every((token) => token.lastUsedAt === null);
}

async function openMetadataStores(config: Config) {
  const options = { repositoryLimits: config.auth.enabled };
  if (config.metadata.driver === "sqlite") return openSqliteStores(sqlitePath(config), options);
  // Loaded only when used: a SQLite registry's processes never carry pg.
  const { openPostgresStores } = await import("../metadata/postgres.js");
  const pg = config.metadata.postgres;
  const tls = { enabled: pg.tls.enabled, ca: pg.tls.ca, certificate: pg.tls.certificate, key: pg.tls.key, verify: pg.tls.verify };
  return openPostgresStores({ url: pg.url!, poolSize: pg.poolsize, statementTimeout: pg.statementtimeout, tls }, options);
}

async function openStorage(config: Config, serving: boolean): Promise<StorageDriver> {
  if (config.storage.driver === "inmemory") return new MemoryDriver();
  if (config.storage.driver === "s3") {
    // Loaded only here: the AWS SDK costs every serving process memory and start-up time.
    const { S3Driver, s3Options } = await import("../storage/drivers/s3.js");
    const driver = new S3Driver(s3Options(config));
    await driver.check().catch((err: Error) => {
      driver.close();
      throw new StartupError(err.message);
    });
    return driver;
  }
  const { rootdirectory, directio } = config.storage.filesystem;
  const driver = new FilesystemDriver(rootdirectory, { directIo: directio, unlinks: serving ? UNLINKS_BESIDE_REQUESTS : undefined });
  await driver.init();
  await driver.check();
  return driver;
}
