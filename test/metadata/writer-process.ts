// One of several processes writing one metadata database at the same time (forked by
// concurrentWritersSuite in store-suite.ts): opens the stores, waits for "go", runs every kind of
// write at once and reports what each answered.
import { openPostgresStores } from "../../src/metadata/postgres.js";
import type { MetadataStoreOptions } from "../../src/metadata/sql-store.js";
import { openSqliteStores } from "../../src/metadata/sqlite.js";
import { manifestRecord } from "./records.js";
import { RepositoryLimitReached } from "../../src/metadata/store.js";

/** How a writer opens the shared database. */
export type WriterSpec = { driver: "sqlite"; path: string } | { driver: "postgres"; url: string };

export function openStores(spec: WriterSpec, options: MetadataStoreOptions = {}) {
  return spec.driver === "sqlite" ? openSqliteStores(spec.path, options) : openPostgresStores({ url: spec.url, poolSize: 4 }, options);
}

export interface WriterReport {
  tokensCreated: number;
  repositoriesCreated: string[];
  limitRefusals: number;
  /** anything else that was thrown: there must be none */
  errors: string[];
}

// `node --test dist/test/` runs this file too, unforked: then there is nothing to do.
if (process.send !== undefined) await serve();

async function serve(): Promise<void> {
  const [specJson, processId] = process.argv.slice(2) as [string, string];
  const spec = JSON.parse(specJson) as WriterSpec;
  const { meta, iam } = await openStores(spec, { repositoryLimits: true });
  const report: WriterReport = { tokensCreated: 0, repositoriesCreated: [], limitRefusals: 0, errors: [] };
  const D = (n: number) => `sha256:${(Number(processId) * 1000 + n).toString(16).padStart(64, "0")}`;
  const manifest = (repository: string, n: number) => manifestRecord(repository, D(n), { pushedAt: 1 });

  /** Every way a repository comes to exist, in turn. */
  async function createRepository(i: number): Promise<void> {
    const name = `team/p${processId}-${i}`;
    try {
      switch (i % 4) {
        case 0:
          await meta.linkBlob(name, D(i), 10, 1);
          break;
        case 1:
          await meta.createUpload({ id: `${processId}-${i}`, repository: name, createdAt: 1, updatedAt: 1 });
          await meta.holdBlob(D(i), 10, `${processId}-${i}`, 2, Number.MAX_SAFE_INTEGER);
          await meta.commitUpload(`${processId}-${i}`, { repository: name, digest: D(i), size: 10, at: 2 });
          break;
        case 2:
          await meta.putManifest(manifest(name, i), [], "v1");
          break;
        case 3:
          await meta.createRepository(name, 1);
          break;
      }
      report.repositoriesCreated.push(name);
    } catch (err) {
      if (err instanceof RepositoryLimitReached) report.limitRefusals++;
      else throw err;
    }
  }

  async function createToken(i: number): Promise<void> {
    const id = `t-${processId}-${i}`;
    if (await iam.createAuthToken({ id, userId: "u1", description: "", hash: id, createdAt: 1, lastUsedAt: null }, 2)) report.tokensCreated++;
  }

  /** The other IAM writes a busy tenancy makes. */
  async function identities(i: number): Promise<void> {
    const user = { id: `u-${processId}-${i}`, tenancy: "team", name: `p${processId}-u${i}`, description: "", createdAt: 1 };
    const group = { id: `g-${processId}-${i}`, tenancy: "team", name: `p${processId}-g${i}`, description: "", createdAt: 1 };
    await iam.createUser(user);
    await iam.createGroup(group);
    await iam.addMember(group.id, user.id);
    await iam.createPolicy({ id: `pol-${processId}-${i}`, tenancy: "team", name: `p${processId}-pol${i}`, description: "", statements: ["x"], createdAt: 1 });
    await iam.addLoginFailure(`addr-${i}`, 1, 60_000);
    await iam.appendAudit([{ at: 1, tenancy: "team", actor: "a", action: "b", target: "c", outcome: "ok", address: null, detail: null }]);
    await iam.updateTenancy("team", { description: `p${processId}` });
    await iam.removeMember(group.id, user.id);
    await iam.deleteGroup(group.id);
    await iam.deleteUser(user.id);
  }

  process.once("message", async () => {
    const work: Promise<void>[] = [];
    for (let i = 0; i < 6; i++) work.push(createRepository(i), createToken(i), identities(i));
    for (const outcome of await Promise.allSettled(work)) {
      if (outcome.status === "rejected") report.errors.push(String((outcome.reason as Error)?.stack ?? outcome.reason));
    }
    await meta.close();
    process.send!(report, () => process.exit(0));
  });
  process.send!("ready");
}
