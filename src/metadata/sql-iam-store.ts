// The IamStore over Kysely, sharing the metadata database.
import { sql, type Kysely, type Selectable } from "kysely";
import type {
  AuditEvent,
  AuditPosition,
  AuditQuery,
  AuthTokenRecord,
  Group,
  IamStore,
  LoginFailures,
  Policy,
  RepositoryInfo,
  SessionRecord,
  SigningKey,
  Tenancy,
  User,
} from "../iam/store.js";
import type { Database } from "./schema.js";
import { first, lockRow, version, writeTransaction, type SqlDatabase } from "./direct.js";
import { escapeLike } from "./like.js";
import { ReadCache } from "./read-cache.js";

export class SqlIamStore implements IamStore {
  /** whether an auth token exists, by id, while the database is unchanged (256 KiB at most) */
  private readonly tokensSeen = new ReadCache<boolean>(256 * 1024, () => 100);
  /** login failure counters by key, while the database is unchanged (256 KiB at most) */
  private readonly failuresSeen = new ReadCache<LoginFailures>(256 * 1024, () => 100);
  /** the IAM version, while the database is unchanged */
  private readonly iamVersionSeen = new ReadCache<number>(64, () => 8);

  private readonly db: Kysely<Database>;

  constructor(private readonly base: SqlDatabase) {
    this.db = base.kysely;
  }

  async createTenancy(t: Tenancy): Promise<void> {
    await this.db
      .insertInto("tenancies")
      .values({ namespace: t.namespace, description: t.description, repository_limit: t.repositoryLimit, storage_quota: t.storageQuota ?? null, created_at: t.createdAt })
      .execute();
  }

  async getTenancy(namespace: string): Promise<Tenancy | undefined> {
    const row = await this.db.selectFrom("tenancies").selectAll().where("namespace", "=", namespace).executeTakeFirst();
    return row ? toTenancy(row) : undefined;
  }

  async listTenancies(): Promise<Tenancy[]> {
    return (await this.db.selectFrom("tenancies").selectAll().orderBy("namespace").execute()).map(toTenancy);
  }

  async updateTenancy(namespace: string, changes: { repositoryLimit?: number; description?: string; storageQuota?: number | null }): Promise<boolean> {
    const set: { repository_limit?: number; description?: string; storage_quota?: number | null } = {};
    if (changes.repositoryLimit !== undefined) set.repository_limit = changes.repositoryLimit;
    if (changes.storageQuota !== undefined) set.storage_quota = changes.storageQuota;
    if (changes.description !== undefined) set.description = changes.description;
    if (Object.keys(set).length === 0) return (await this.getTenancy(namespace)) !== undefined;
    const r = await this.db.updateTable("tenancies").set(set).where("namespace", "=", namespace).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async deleteTenancy(namespace: string): Promise<boolean> {
    return writeTransaction(this.base, async (trx) => {
      // Checked under the write lock (PostgreSQL: the tenancy's row lock, which repository creation
      // takes too), so that no first push can create a repository meanwhile.
      const lock = lockRow(this.base, "tenancies", "namespace", namespace);
      if (lock) await trx.executeQuery(lock.compile(trx));
      if (await trx.selectFrom("repositories").select("name").where("name", ">", `${namespace}/`).where("name", "<", `${namespace}0`).executeTakeFirst()) {
        return false;
      }
      const users = trx.selectFrom("users").select("id").where("tenancy", "=", namespace);
      const groups = trx.selectFrom("groups").select("id").where("tenancy", "=", namespace);
      await trx.deleteFrom("auth_tokens").where("user_id", "in", users).execute();
      await trx.deleteFrom("console_passwords").where("user_id", "in", users).execute();
      await trx.deleteFrom("sessions").where("user_id", "in", users).execute();
      await trx.deleteFrom("group_members").where("group_id", "in", groups).execute();
      await trx.deleteFrom("users").where("tenancy", "=", namespace).execute();
      await trx.deleteFrom("groups").where("tenancy", "=", namespace).execute();
      await trx.deleteFrom("policies").where("tenancy", "=", namespace).execute();
      const r = await trx.deleteFrom("tenancies").where("namespace", "=", namespace).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  async createUser(u: User): Promise<void> {
    await this.db
      .insertInto("users")
      .values({ id: u.id, tenancy: u.tenancy, name: u.name, description: u.description, created_at: u.createdAt })
      .execute();
  }

  async getUser(tenancy: string, name: string): Promise<User | undefined> {
    const row = await this.db.selectFrom("users").selectAll().where("tenancy", "=", tenancy).where("name", "=", name).executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async getUserById(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async listUsers(tenancy: string): Promise<User[]> {
    return (await this.db.selectFrom("users").selectAll().where("tenancy", "=", tenancy).orderBy("name").execute()).map(toUser);
  }

  async deleteUser(id: string): Promise<boolean> {
    return writeTransaction(this.base, async (trx) => {
      // The user's row first: a token created meanwhile (under that row's lock) is then deleted too.
      const r = await trx.deleteFrom("users").where("id", "=", id).executeTakeFirst();
      await trx.deleteFrom("auth_tokens").where("user_id", "=", id).execute();
      await trx.deleteFrom("console_passwords").where("user_id", "=", id).execute();
      await trx.deleteFrom("sessions").where("user_id", "=", id).execute();
      await trx.deleteFrom("group_members").where("user_id", "=", id).execute();
      return Number(r.numDeletedRows) > 0;
    });
  }

  async createGroup(g: Group): Promise<void> {
    await this.db
      .insertInto("groups")
      .values({ id: g.id, tenancy: g.tenancy, name: g.name, name_key: g.name.toLowerCase(), description: g.description, created_at: g.createdAt })
      .execute();
  }

  async getGroup(tenancy: string, name: string): Promise<Group | undefined> {
    const row = await this.db
      .selectFrom("groups")
      .selectAll()
      .where("tenancy", "=", tenancy)
      .where("name_key", "=", name.toLowerCase())
      .executeTakeFirst();
    return row ? toGroup(row) : undefined;
  }

  async listGroups(tenancy: string): Promise<Group[]> {
    return (await this.db.selectFrom("groups").selectAll().where("tenancy", "=", tenancy).orderBy("name_key").execute()).map(toGroup);
  }

  async deleteGroup(id: string): Promise<boolean> {
    return writeTransaction(this.base, async (trx) => {
      await trx.deleteFrom("group_members").where("group_id", "=", id).execute();
      const r = await trx.deleteFrom("groups").where("id", "=", id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  async addMember(groupId: string, userId: string): Promise<void> {
    await this.db
      .insertInto("group_members")
      .values({ group_id: groupId, user_id: userId })
      .onConflict((oc) => oc.columns(["group_id", "user_id"]).doNothing())
      .execute();
  }

  async removeMember(groupId: string, userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom("group_members").where("group_id", "=", groupId).where("user_id", "=", userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listMembers(groupId: string): Promise<User[]> {
    const rows = await this.db
      .selectFrom("group_members")
      .innerJoin("users", "users.id", "group_members.user_id")
      .selectAll("users")
      .where("group_members.group_id", "=", groupId)
      .orderBy("users.name")
      .execute();
    return rows.map(toUser);
  }

  async groupsOfUser(userId: string): Promise<Group[]> {
    const rows = await this.db
      .selectFrom("group_members")
      .innerJoin("groups", "groups.id", "group_members.group_id")
      .selectAll("groups")
      .where("group_members.user_id", "=", userId)
      .orderBy("groups.name_key")
      .execute();
    return rows.map(toGroup);
  }

  async createPolicy(p: Policy): Promise<void> {
    await this.db
      .insertInto("policies")
      .values({
        id: p.id,
        tenancy: p.tenancy,
        name: p.name,
        description: p.description,
        statements: JSON.stringify(p.statements),
        created_at: p.createdAt,
      })
      .execute();
  }

  async getPolicy(tenancy: string, name: string): Promise<Policy | undefined> {
    const row = await this.db.selectFrom("policies").selectAll().where("tenancy", "=", tenancy).where("name", "=", name).executeTakeFirst();
    return row ? toPolicy(row) : undefined;
  }

  async listPolicies(tenancy: string): Promise<Policy[]> {
    return (await this.db.selectFrom("policies").selectAll().where("tenancy", "=", tenancy).orderBy("name").execute()).map(toPolicy);
  }

  async updatePolicy(id: string, changes: { statements?: string[]; description?: string }): Promise<boolean> {
    const set: { statements?: string; description?: string } = {};
    if (changes.statements !== undefined) set.statements = JSON.stringify(changes.statements);
    if (changes.description !== undefined) set.description = changes.description;
    if (Object.keys(set).length === 0) return true;
    const r = await this.db.updateTable("policies").set(set).where("id", "=", id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async deletePolicy(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom("policies").where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async createAuthToken(t: AuthTokenRecord, max: number): Promise<boolean> {
    return writeTransaction(this.base, async (trx) => {
      // One conditional insert; on PostgreSQL after the user's row lock, so racing creations count in turn.
      const lock = lockRow(this.base, "users", "id", t.userId);
      if (lock) await trx.executeQuery(lock.compile(trx));
      const result = await sql`insert into auth_tokens (id, user_id, description, hash, created_at, last_used_at)
        select cast(${t.id} as text), cast(${t.userId} as text), cast(${t.description} as text), cast(${t.hash} as text), cast(${t.createdAt} as bigint), null
        where (select count(*) from auth_tokens where user_id = ${t.userId}) < ${max}`.execute(trx);
      return Number(result.numAffectedRows ?? 0) > 0;
    });
  }

  async listAuthTokens(userId: string): Promise<AuthTokenRecord[]> {
    return (await this.db.selectFrom("auth_tokens").selectAll().where("user_id", "=", userId).orderBy("created_at").execute()).map(toToken);
  }

  async findAuthTokenByHash(hash: string): Promise<AuthTokenRecord | undefined> {
    const row = await this.db.selectFrom("auth_tokens").selectAll().where("hash", "=", hash).executeTakeFirst();
    return row ? toToken(row) : undefined;
  }

  async deleteAuthToken(userId: string, id: string): Promise<boolean> {
    const r = await this.db.deleteFrom("auth_tokens").where("user_id", "=", userId).where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async authTokenExists(id: string): Promise<boolean> {
    // Checked on every authenticated request: answered from memory while the database is unchanged
    // (a deleted token changes it), else a plain SQL template.
    const exists = await this.tokensSeen.remember(id, version(this.base), async () => {
      return (await first(sql<{ one: number }>`select 1 as one from auth_tokens where id = ${id}`, this.base)) !== undefined;
    });
    return exists === true;
  }

  async touchAuthToken(id: string, at: number): Promise<void> {
    await this.db.updateTable("auth_tokens").set({ last_used_at: at }).where("id", "=", id).execute();
  }

  async setConsolePassword(userId: string, hash: string, at: number, keep?: string): Promise<boolean> {
    return writeTransaction(this.base, async (trx) => {
      // Under the user's row lock on PostgreSQL, so a deletion of the user cannot slip between.
      const lock = lockRow(this.base, "users", "id", userId);
      if (lock) await trx.executeQuery(lock.compile(trx));
      if (!(await trx.selectFrom("users").select("id").where("id", "=", userId).executeTakeFirst())) return false;
      await trx
        .insertInto("console_passwords")
        .values({ user_id: userId, hash, updated_at: at })
        .onConflict((oc) => oc.column("user_id").doUpdateSet({ hash, updated_at: at }))
        .execute();
      let ending = trx.deleteFrom("sessions").where("user_id", "=", userId);
      if (keep !== undefined) ending = ending.where("id_hash", "!=", keep);
      await ending.execute();
      return true;
    });
  }

  async getConsolePassword(userId: string): Promise<string | undefined> {
    const row = await this.db.selectFrom("console_passwords").select("hash").where("user_id", "=", userId).executeTakeFirst();
    return row?.hash;
  }

  async createSession(s: SessionRecord): Promise<void> {
    await this.db
      .insertInto("sessions")
      .values({
        id_hash: s.idHash,
        user_id: s.userId,
        token_id: s.tokenId,
        created_at: s.createdAt,
        last_used_at: s.lastUsedAt,
        expires_at: s.expiresAt,
      })
      .execute();
  }

  async getSession(idHash: string): Promise<SessionRecord | undefined> {
    // Read on every request a session makes, never cached: a logout elsewhere must count at once.
    const row = await first(sql<Selectable<Database["sessions"]>>`select * from sessions where id_hash = ${idHash}`, this.base);
    return row ? toSession(row) : undefined;
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    await this.db.updateTable("sessions").set({ last_used_at: at }).where("id_hash", "=", idHash).where("last_used_at", "<", at).execute();
  }

  async deleteSession(idHash: string): Promise<boolean> {
    const r = await this.db.deleteFrom("sessions").where("id_hash", "=", idHash).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async purgeSessions(now: number, idleSince: number): Promise<number> {
    const r = await this.db
      .deleteFrom("sessions")
      .where((eb) => eb.or([eb("expires_at", "<=", now), eb("last_used_at", "<=", idleSince)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async getRepositoryInfo(name: string): Promise<RepositoryInfo | undefined> {
    const row = await first(sql<Selectable<Database["repositories"]>>`select * from repositories where name = ${name}`, this.base);
    return row ? toRepository(row) : undefined;
  }

  async listRepositoryInfos(namespace: string): Promise<RepositoryInfo[]> {
    const rows = await this.db
      .selectFrom("repositories")
      .selectAll()
      .where("name", ">", `${namespace}/`)
      .where("name", "<", `${namespace}0`) // '0' follows '/' in byte order: the namespace's prefix range
      .orderBy("name")
      .execute();
    return rows.map(toRepository);
  }

  async countRepositories(namespace: string): Promise<number> {
    const { count } = await this.db
      .selectFrom("repositories")
      .select((eb) => eb.fn.countAll<number | string>().as("count"))
      .where("name", ">", `${namespace}/`)
      .where("name", "<", `${namespace}0`)
      .executeTakeFirstOrThrow();
    return Number(count);
  }

  async setRepositoryPublic(name: string, isPublic: boolean): Promise<boolean> {
    const r = await this.db.updateTable("repositories").set({ is_public: isPublic ? 1 : 0 }).where("name", "=", name).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async setRepositoryImmutableTags(name: string, immutable: boolean): Promise<boolean> {
    const r = await this.db.updateTable("repositories").set({ immutable_tags: immutable ? 1 : 0 }).where("name", "=", name).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async loginFailures(key: string, now: number): Promise<LoginFailures | undefined> {
    // Asked on every login, also with Basic on every request: from memory while the database is unchanged.
    const found = await this.failuresSeen.remember(key, version(this.base), async () => {
      const row = await first(sql<{ count: number; reset_at: number | string }>`select count, reset_at from login_failures where key = ${key}`, this.base);
      return row ? { count: Number(row.count), resetAt: Number(row.reset_at) } : NO_FAILURES;
    });
    return found && found.resetAt > now ? found : undefined;
  }

  async addLoginFailure(key: string, now: number, window: number): Promise<void> {
    await writeTransaction(this.base, async (trx) => {
      // Expired counters are dropped as we go, so a spray of random names cannot grow the table.
      await trx.deleteFrom("login_failures").where("reset_at", "<=", now).execute();
      await trx
        .insertInto("login_failures")
        .values({ key, count: 1, reset_at: now + window })
        .onConflict((oc) => oc.column("key").doUpdateSet({ count: sql<number>`login_failures.count + 1` }))
        .execute();
    });
  }

  async clearLoginFailures(key: string): Promise<void> {
    await this.db.deleteFrom("login_failures").where("key", "=", key).execute();
  }

  async clearLoginFailuresWithPrefix(prefix: string): Promise<void> {
    // Not LIKE, whose wildcards a login may hold, nor a range, which depends on the collation.
    // Lengths in characters, as both SQLite and PostgreSQL count them; the table is small (expired rows go).
    const length = [...prefix].length;
    await this.db.deleteFrom("login_failures").where(sql<boolean>`substr(key, 1, ${length}) = ${prefix}`).execute();
  }

  async accessVersion(): Promise<number> {
    const found = await this.iamVersionSeen.remember("iam", version(this.base), async () => {
      const row = await first(sql<{ version: number | string }>`select version from iam_version where id = 1`, this.base);
      return Number(row?.version ?? 0);
    });
    return found ?? 0;
  }

  async listSigningKeys(): Promise<SigningKey[]> {
    const rows = await this.db.selectFrom("signing_keys").selectAll().orderBy("created_at").execute();
    return rows.map((r) => ({
      kid: r.kid,
      privateJwk: r.private_jwk,
      publicJwk: r.public_jwk,
      createdAt: Number(r.created_at),
      retiredAt: r.retired_at === null ? null : Number(r.retired_at),
    }));
  }

  async addSigningKey(k: SigningKey): Promise<void> {
    await this.db
      .insertInto("signing_keys")
      .values({ kid: k.kid, private_jwk: k.privateJwk, public_jwk: k.publicJwk, created_at: k.createdAt, retired_at: k.retiredAt })
      .execute();
  }

  async retireSigningKey(kid: string, at: number): Promise<void> {
    await this.db.updateTable("signing_keys").set({ retired_at: at }).where("kid", "=", kid).where("retired_at", "is", null).execute();
  }

  async appendAudit(events: AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    await writeTransaction(this.base, async (trx) => {
      for (let i = 0; i < events.length; i += 100) await trx.insertInto("audit_events").values(events.slice(i, i + 100)).execute();
    });
  }

  async listAudit(filter: { tenancy?: string; limit: number; before?: number; after?: AuditPosition } & AuditQuery): Promise<AuditEvent[]> {
    let q = this.db
      .selectFrom("audit_events")
      .selectAll()
      .orderBy("at", "desc")
      .orderBy("actor")
      .orderBy("action")
      .orderBy("target")
      .orderBy("outcome")
      .orderBy("address")
      .orderBy("detail")
      .limit(filter.limit);
    if (filter.tenancy !== undefined) q = q.where("tenancy", "=", filter.tenancy);
    if (filter.before !== undefined) q = q.where("at", "<", filter.before);
    if (filter.actor !== undefined) q = q.where("actor", "=", filter.actor);
    if (filter.action !== undefined) q = q.where("action", "=", filter.action);
    if (filter.outcome !== undefined) q = q.where("outcome", "=", filter.outcome);
    if (filter.since !== undefined) q = q.where("at", ">=", filter.since);
    if (filter.repository !== undefined) {
      // The repository itself, and its tags and images (`name:tag`, `name@digest`): names hold neither `:` nor `@`.
      const name = filter.repository;
      const pattern = escapeLike(name);
      q = q.where((eb) => eb.or([eb("target", "=", name), sql<boolean>`target like ${`${pattern}:%`} escape '!'`, sql<boolean>`target like ${`${pattern}@%`} escape '!'`]));
    }
    // The events at `after.at` come first among those not newer; the page skips those seen.
    if (filter.after !== undefined) q = q.where("at", "<=", filter.after.at).offset(filter.after.seen);
    return (await q.execute()).map((r) => ({ ...r, at: Number(r.at), outcome: r.outcome as AuditEvent["outcome"] }));
  }
}

/** A key with no failures (the read cache keeps no absent values). */
const NO_FAILURES: LoginFailures = { count: 0, resetAt: 0 };

const toTenancy = (r: Selectable<Database["tenancies"]>): Tenancy => ({
  namespace: r.namespace,
  description: r.description,
  repositoryLimit: Number(r.repository_limit),
  storageQuota: r.storage_quota === null ? null : Number(r.storage_quota),
  createdAt: Number(r.created_at),
});

const toUser = (r: Selectable<Database["users"]>): User => ({
  id: r.id,
  tenancy: r.tenancy,
  name: r.name,
  description: r.description,
  createdAt: Number(r.created_at),
});

const toGroup = (r: Selectable<Database["groups"]>): Group => ({
  id: r.id,
  tenancy: r.tenancy,
  name: r.name,
  description: r.description,
  createdAt: Number(r.created_at),
});

const toPolicy = (r: Selectable<Database["policies"]>): Policy => ({
  id: r.id,
  tenancy: r.tenancy,
  name: r.name,
  description: r.description,
  statements: JSON.parse(r.statements) as string[],
  createdAt: Number(r.created_at),
});

const toToken = (r: Selectable<Database["auth_tokens"]>): AuthTokenRecord => ({
  id: r.id,
  userId: r.user_id,
  description: r.description,
  hash: r.hash,
  createdAt: Number(r.created_at),
  lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
});

const toSession = (r: Selectable<Database["sessions"]>): SessionRecord => ({
  idHash: r.id_hash,
  userId: r.user_id,
  tokenId: r.token_id,
  createdAt: Number(r.created_at),
  lastUsedAt: Number(r.last_used_at),
  expiresAt: Number(r.expires_at),
});

const toRepository = (r: Selectable<Database["repositories"]>): RepositoryInfo => ({
  name: r.name,
  isPublic: Number(r.is_public) === 1,
  immutableTags: Number(r.immutable_tags) === 1,
  createdAt: Number(r.created_at),
});
