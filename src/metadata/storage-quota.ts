// A tenancy's storage quota: the bytes of the blobs linked into its repositories, each blob once
// however many of its repositories hold it. Decided inside the write that links a blob (after the
// tenancy's row lock that repository creation takes on PostgreSQL), so racing pushes take turns
// and each counts what the one before it linked; the same way repository-creation.ts keeps limits.
import { sql } from "kysely";
import { splitRepository } from "../iam/names.js";
import { first, requireRow, type Requirement, type SqlDatabase } from "./direct.js";
import { StorageQuotaExceeded } from "./store.js";

export class StorageQuota {
  constructor(
    private readonly db: SqlDatabase,
    /** quotas are kept by stores that keep limits (auth on: tenancies exist) */
    private readonly enabled: boolean,
  ) {}

  /** A read inside the linking write that finds a row when linking `digest` (`size` bytes) keeps the quota. */
  within(repository: string, digest: string, size: number): Requirement | undefined {
    if (!this.enabled) return undefined;
    const { namespace } = splitRepository(repository);
    // CASE evaluates in order on both databases: a tenancy without a quota never sums its blobs.
    return requireRow(sql`select 1 where case
      when ${quotaOf(namespace)} is null then 1
      when ${holds(namespace, digest)} then 1
      when ${usedBy(namespace)} + cast(${size} as bigint) <= ${quotaOf(namespace)} then 1
      else 0 end = 1`);
  }

  /** Why linking `digest` (`size` bytes, `digest` unknown yet when absent) into `repository` is refused now, or undefined. */
  async refusal(repository: string, size: number, digest?: string): Promise<StorageQuotaExceeded | undefined> {
    if (!this.enabled) return undefined;
    const { namespace } = splitRepository(repository);
    const tenancy = await first(sql<{ quota: number | string | null }>`select storage_quota as quota from tenancies where namespace = ${namespace}`, this.db);
    if (tenancy?.quota === null || tenancy?.quota === undefined) return undefined;
    const quota = Number(tenancy.quota);
    if (digest !== undefined && (await first(sql`select 1 as held where ${holds(namespace, digest)}`, this.db))) return undefined;
    const used = await this.used(namespace);
    return used + size > quota ? new StorageQuotaExceeded(namespace, quota, used, size) : undefined;
  }

  /** Bytes the tenancy stores, each blob once. */
  async used(namespace: string): Promise<number> {
    const row = await first(sql<{ used: number | string }>`select ${usedBy(namespace)} as used`, this.db);
    return Number(row?.used ?? 0);
  }
}

function quotaOf(namespace: string) {
  return sql`(select storage_quota from tenancies where namespace = ${namespace})`;
}

/** A repository of the tenancy (the byte range `<namespace>/` … `<namespace>0`) holds `digest`. */
function holds(namespace: string, digest: string) {
  return sql`exists (select 1 from repo_blobs where digest = ${digest} and repository > ${`${namespace}/`} and repository < ${`${namespace}0`})`;
}

/** The tenancy's blobs' bytes, each digest once. */
export function usedBy(namespace: string) {
  return sql`(select coalesce(sum(size), 0) from (select max(size) as size from repo_blobs
    where repository > ${`${namespace}/`} and repository < ${`${namespace}0`} group by digest) as distinct_blobs)`;
}
