// Usage, storage quotas and immutable tags in the MetadataStore contract: run against every backend
// (a store with limits, as `auth.enabled` opens it), from sqlite.test.ts and postgres.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StorageQuotaExceeded, TagImmutable, type MetadataStore } from "../../src/metadata/store.js";
import { manifestRecord } from "./records.js";
import { openStores, type WriterSpec } from "./writer-process.js";

const D = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;


/** Commits blob `digest` of `size` bytes into `repository` as an upload session would. */
async function commit(meta: MetadataStore, id: string, repository: string, digest: string, size: number): Promise<void> {
  await meta.createUpload({ id, repository, createdAt: 1, updatedAt: 1 });
  assert.ok(await meta.holdBlob(digest, size, id, 2, 1_000_000));
  await meta.commitUpload(id, { repository, digest, size, at: 2 });
}

const quotaRefusal = (quota: number, used: number) => (err: unknown) =>
  err instanceof StorageQuotaExceeded && err.message.includes(`storage quota of ${quota} bytes`) && err.message.includes(`it stores ${used} bytes`);

export function usageSuite(name: string, newDatabase: () => Promise<WriterSpec>): void {
  describe(`MetadataStore usage, quotas and immutable tags: ${name}`, () => {
    it("stored bytes: each blob once per repository, and once per tenancy however many repositories hold it", async () => {
      const { meta, iam } = await openStores(await newDatabase(), { repositoryLimits: true });
      for (const ns of ["team", "teams", "zed"]) await iam.createTenancy({ namespace: ns, description: "", repositoryLimit: 10, createdAt: 1 });
      await meta.linkBlob("team/a", D(1), 10, 1);
      await meta.linkBlob("team/a", D(1), 10, 2);
      await meta.linkBlob("team/b", D(1), 10, 1);
      await meta.linkBlob("team/b", D(2), 20, 1);
      await meta.linkBlob("teams/x", D(3), 300, 1);
      await meta.linkBlob("zed/a", D(1), 10, 1);
      assert.deepEqual(Object.fromEntries(await meta.storedBytes(["team/a", "team/b", "team/none"])), { "team/a": 10, "team/b": 30, "team/none": 0 });
      assert.equal(await meta.tenancyStoredBytes("team"), 30, "D1 counts once for the tenancy; teams/ is another tenancy");
      assert.equal(await meta.tenancyStoredBytes("zed"), 10);
      assert.equal(await meta.tenancyStoredBytes("empty"), 0);
      await meta.unlinkBlob("team/b", D(2));
      assert.equal(await meta.tenancyStoredBytes("team"), 10, "an unlinked blob no longer counts");
      await meta.close();
    });

    it("daily usage: batches add up per repository and day; a tenancy's days sum its repositories", async () => {
      const { meta } = await openStores(await newDatabase(), { repositoryLimits: true });
      await meta.recordUsage([
        { repository: "team/a", day: 5, pulls: 2, egressBytes: 100 },
        { repository: "team/b", day: 6, pulls: 1, egressBytes: 7 },
        { repository: "teams/x", day: 5, pulls: 9, egressBytes: 9 },
      ]);
      await meta.recordUsage([{ repository: "team/a", day: 5, pulls: 1, egressBytes: 50 }]);
      await meta.recordUsage([]);
      assert.deepEqual(await meta.dailyUsage({ repository: "team/a" }, 0), [{ day: 5, pulls: 3, egressBytes: 150 }]);
      assert.deepEqual(await meta.dailyUsage({ namespace: "team" }, 0), [
        { day: 5, pulls: 3, egressBytes: 150 },
        { day: 6, pulls: 1, egressBytes: 7 },
      ]);
      assert.deepEqual(await meta.dailyUsage({ namespace: "team" }, 6), [{ day: 6, pulls: 1, egressBytes: 7 }]);
      await meta.close();
    });

    it("storage quota: a link past it is refused in its transaction; blobs the tenancy holds never count twice", async () => {
      const { meta, iam } = await openStores(await newDatabase(), { repositoryLimits: true });
      await iam.createTenancy({ namespace: "team", description: "", repositoryLimit: 10, createdAt: 1 });
      await iam.createTenancy({ namespace: "zed", description: "", repositoryLimit: 10, createdAt: 1 });
      await iam.updateTenancy("team", { storageQuota: 100 });
      assert.equal((await iam.getTenancy("team"))?.storageQuota, 100);
      await commit(meta, "u1", "team/a", D(1), 60);
      // Deduplicated: team already stores D1, so these add nothing, though 60 + 60 > 100.
      await meta.linkBlob("team/b", D(1), 60, 3);
      assert.equal(await meta.mountBlob("team/c", D(1), 60, "team/a", 3), true);
      await commit(meta, "u2", "team/d", D(1), 60);
      assert.equal(await meta.tenancyStoredBytes("team"), 60);

      await assert.rejects(commit(meta, "u3", "team/a", D(2), 41), quotaRefusal(100, 60));
      assert.equal(await meta.getUpload("u3"), undefined, "the refused session ended");
      assert.equal(await meta.linkedBlobSize("team/a", D(2)), undefined, "nothing linked");
      await assert.rejects(meta.linkBlob("team/a", D(2), 41, 3), quotaRefusal(100, 60));
      await meta.linkBlob("zed/a", D(2), 41, 3); // another tenancy, without a quota
      await commit(meta, "u4", "team/a", D(3), 40);
      assert.equal(await meta.tenancyStoredBytes("team"), 100, "up to the quota exactly");

      // Before bytes: what a push of so many bytes would meet now.
      const refusal = await meta.storageRefusal("team/a", 1);
      assert.ok(refusal instanceof StorageQuotaExceeded);
      assert.equal(refusal.quota, 100);
      assert.equal(refusal.used, 100);
      assert.equal(await meta.storageRefusal("team/a", 60, D(1)), undefined, "a blob it holds adds nothing");
      assert.equal(await meta.storageRefusal("nobody/a", 1_000_000), undefined, "no tenancy, no quota");

      await iam.updateTenancy("team", { storageQuota: null });
      assert.equal((await iam.getTenancy("team"))?.storageQuota, null);
      await commit(meta, "u5", "team/a", D(4), 1000);
      assert.equal(await meta.storageRefusal("team/a", 1e12), undefined);
      await meta.close();
    });

    it("storage quota: racing commits never pass it together", async () => {
      const spec = await newDatabase();
      const { meta, iam } = await openStores(spec, { repositoryLimits: true });
      await iam.createTenancy({ namespace: "team", description: "", repositoryLimit: 10, createdAt: 1 });
      await iam.updateTenancy("team", { storageQuota: 100 });
      await meta.createRepository("team/a", 1);
      const others = await Promise.all([0, 1].map(() => openStores(spec, { repositoryLimits: true })));
      const stores = [meta, ...others.map((o) => o.meta)];
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => commit(stores[i % stores.length]!, `r${i}`, `team/${i % 2 ? "a" : "b"}`, D(100 + i), 30)),
      );
      const refused = results.filter((r) => r.status === "rejected");
      for (const r of refused) assert.ok((r as PromiseRejectedResult).reason instanceof StorageQuotaExceeded, String((r as PromiseRejectedResult).reason));
      assert.equal(results.length - refused.length, 3, "three blobs of 30 bytes fit in 100");
      assert.equal(await meta.tenancyStoredBytes("team"), 90);
      for (const o of others) await o.meta.close();
      await meta.close();
    });

    it("immutable tags: a tag never moves nor goes, the same digest may be pushed again, decided in the write", async () => {
      const { meta, iam } = await openStores(await newDatabase(), { repositoryLimits: true });
      await iam.createTenancy({ namespace: "team", description: "", repositoryLimit: 10, createdAt: 1 });
      await meta.createRepository("team/app", 1);
      await meta.putManifest(manifestRecord("team/app", D(10)), [], "v1");
      assert.equal(await iam.setRepositoryImmutableTags("team/app", true), true);
      assert.equal(await iam.setRepositoryImmutableTags("team/none", true), false);
      assert.equal((await iam.getRepositoryInfo("team/app"))?.immutableTags, true);

      const immutable = (action: "move" | "delete") => (err: unknown) =>
        err instanceof TagImmutable && err.action === action && (action === "move" ? err.message === "tag v1 of team/app is immutable; push a new tag" : /cannot be deleted/.test(err.message));
      await assert.rejects(meta.putManifest(manifestRecord("team/app", D(11)), [], "v1"), immutable("move"));
      assert.equal(await meta.resolveTag("team/app", "v1"), D(10));
      assert.deepEqual(await meta.missingManifests("team/app", [D(11)]), [D(11)], "the refused manifest was not stored either");
      await meta.putManifest(manifestRecord("team/app", D(10)), [], "v1"); // the same digest again
      await meta.putManifest(manifestRecord("team/app", D(11)), [], "v2");
      await meta.putManifest(manifestRecord("team/app", D(12)), []); // by digest: no tag
      await assert.rejects(meta.deleteTag("team/app", "v1"), immutable("delete"));
      await assert.rejects(meta.deleteManifest("team/app", D(10)), immutable("delete"));
      assert.equal(await meta.resolveTag("team/app", "v1"), D(10));
      assert.equal(await meta.deleteTag("team/app", "nope"), false);
      assert.equal(await meta.deleteManifest("team/app", D(12)), true, "an untagged image may go");

      // Racing first pushes of one new tag: exactly one wins.
      const results = await Promise.allSettled([20, 21, 22, 23].map((n) => meta.putManifest(manifestRecord("team/app", D(n)), [], "race")));
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of results) if (r.status === "rejected") assert.ok(r.reason instanceof TagImmutable);

      await iam.setRepositoryImmutableTags("team/app", false);
      await meta.putManifest(manifestRecord("team/app", D(11)), [], "v1");
      assert.equal(await meta.resolveTag("team/app", "v1"), D(11));
      assert.equal(await meta.deleteTag("team/app", "v1"), true);
      await meta.close();
    });
  });
}
