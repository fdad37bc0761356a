// Creating a repository, as part of whichever write needs it (a blob link, an upload commit, a
// manifest, an explicit create). With limits (auth on) it is created only while its tenancy holds
// fewer repositories than its limit, decided by the same statements inside that write's
// transaction, so racing first pushes cannot pass the limit.
import { sql } from "kysely";
import { splitRepository } from "../iam/names.js";
import { lockRow, requireRow, type Compilable, type Requirement, type SqlDatabase } from "./direct.js";
import { RepositoryLimitReached } from "./store.js";

export class RepositoryCreation {
  constructor(
    private readonly db: SqlDatabase,
    private readonly limits: boolean,
  ) {}

  /**
   * The statements that create the repository unless it exists; with limits, the write they are
   * part of is undone (writeAll answers false) when it neither exists nor could be created.
   */
  writes(name: string, at: number): (Compilable | Requirement)[] {
    if (!this.limits) return [this.insert(name, at)];
    const lock = this.lock(name);
    return [...(lock ? [lock] : []), this.insert(name, at), requireRow(sql`select 1 from repositories where name = ${name}`)];
  }

  /** Inserts the repository unless it exists (with limits: only while its tenancy has room). */
  insert(name: string, at: number): Compilable {
    if (!this.limits) return this.db.kysely.insertInto("repositories").values({ name, created_at: at }).onConflict((oc) => oc.column("name").doNothing());
    // The existence test comes first so that a write to an existing repository never counts.
    // The casts tell PostgreSQL the parameters' types, which a bare SELECT list does not.
    return sql`insert into repositories (name, created_at) select cast(${name} as text), cast(${at} as bigint)
      where not exists (select 1 from repositories where name = ${name}) and ${roomIn(splitRepository(name).namespace)}
      on conflict (name) do nothing`;
  }

  /**
   * On PostgreSQL (READ COMMITTED), the tenancy's row lock that makes creations in one tenancy take
   * turns, so each one counts what the one before it created. A write that creates with limits
   * runs it first, in its transaction.
   */
  lock(name: string): Compilable | undefined {
    return this.limits ? lockRow(this.db, "tenancies", "namespace", splitRepository(name).namespace) : undefined;
  }

  /** A read that finds a row when the repository exists or could be created now (none without limits). */
  existsOrRoom(name: string): Requirement | undefined {
    if (!this.limits) return undefined;
    return requireRow(sql`select 1 where exists (select 1 from repositories where name = ${name}) or ${roomIn(splitRepository(name).namespace)}`);
  }

  /** Why `repository` could not be created (read after the refused write, for the message). */
  async refusal(repository: string): Promise<RepositoryLimitReached> {
    const { namespace } = splitRepository(repository);
    const tenancy = await this.db.kysely.selectFrom("tenancies").select("repository_limit").where("namespace", "=", namespace).executeTakeFirst();
    return new RepositoryLimitReached(namespace, tenancy === undefined ? undefined : Number(tenancy.repository_limit));
  }
}

/**
 * True while the tenancy `namespace` holds fewer repositories than its limit (false when there is
 * no such tenancy). Its names are the byte range between `<namespace>/` and `<namespace>0`.
 */
function roomIn(namespace: string) {
  return sql<boolean>`(select count(*) from repositories where name > ${`${namespace}/`} and name < ${`${namespace}0`})
    < (select repository_limit from tenancies where namespace = ${namespace})`;
}
