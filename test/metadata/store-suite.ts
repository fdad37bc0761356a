// The one suite every MetadataStore backend must pass.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MetadataStore, NewManifest } from "../../src/metadata/store.js";

const D = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

function manifest(repository: string, digest: string, extra: Partial<NewManifest> = {}): NewManifest {
  return {
    repository,
    digest,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    artifactType: "application/vnd.oci.image.config.v1+json",
    size: 3,
    content: Buffer.from("{ }"),
    subject: null,
    annotations: null,
    pushedAt: 1000,
    ...extra,
  };
}

export function metadataStoreSuite(name: string, open: () => Promise<MetadataStore>): void {
  describe(`MetadataStore contract: ${name}`, () => {
    it("repositories: created by a blob link, listed sorted with pagination", async () => {
      const store = await open();
      assert.equal(await store.repositoryExists("a/b"), false);
      for (const repo of ["b", "a/b", "c", "a"]) await store.linkBlob(repo, D(1), 10, 1);
      assert.equal(await store.repositoryExists("a/b"), true);
      assert.deepEqual(await store.listRepositories({ limit: 10 }), ["a", "a/b", "b", "c"]);
      assert.deepEqual(await store.listRepositories({ limit: 2, last: "a" }), ["a/b", "b"]);
      await store.close();
    });

    it("blob links are per repository", async () => {
      const store = await open();
      await store.linkBlob("one", D(1), 10, 1);
      await store.linkBlob("one", D(1), 10, 2);
      assert.equal(await store.linkedBlobSize("one", D(1)), 10);
      assert.equal(await store.linkedBlobSize("two", D(1)), undefined);
      await store.linkBlob("a-first", D(1), 10, 1);
      assert.deepEqual(await store.repositoriesWithBlob(D(1), 10), ["a-first", "one"]);
      assert.deepEqual(await store.repositoriesWithBlob(D(1), 1), ["a-first"]);
      assert.deepEqual([...(await store.linkedBlobSizes("one", [D(1), D(2), D(1)])).entries()], [[D(1), 10]]);
      assert.equal(await store.unlinkBlob("one", D(1)), true);
      assert.equal(await store.unlinkBlob("one", D(1)), false);
      assert.deepEqual(await store.repositoriesWithBlob(D(1), 10), ["a-first"]);
      await store.close();
    });

    it("manifests: put with tag, get by digest and tag, retag, delete removes tags", async () => {
      const store = await open();
      await store.putManifest(manifest("r", D(10)), [{ child: D(1), kind: "blob" }], "v1");
      await store.putManifest(manifest("r", D(11)), [], "v2");
      assert.equal((await store.getManifest("r", D(10)))?.pullCount, 0);
      assert.deepEqual(Buffer.from((await store.getManifest("r", D(10)))!.content), Buffer.from("{ }"));
      assert.equal((await store.getTaggedManifest("r", "v1"))?.digest, D(10));
      assert.equal(await store.getTaggedManifest("r", "nope"), undefined);
      assert.equal(await store.getManifest("other", D(10)), undefined);
      await store.putManifest(manifest("r", D(11)), [], "v1");
      assert.equal(await store.resolveTag("r", "v1"), D(11));
      assert.deepEqual(await store.missingManifests("r", [D(10), D(12)]), [D(12)]);
      await store.putManifest(manifest("r", D(10)), [], "latest");
      assert.equal(await store.deleteManifest("r", D(10)), true);
      assert.equal(await store.resolveTag("r", "latest"), undefined);
      assert.equal(await store.resolveTag("r", "v1"), D(11));
      assert.equal(await store.deleteManifest("r", D(10)), false);
      await store.close();
    });

    it("tags: sorted, paginated, deleting a tag keeps the manifest", async () => {
      const store = await open();
      await store.putManifest(manifest("r", D(10)), [], "b");
      for (const tag of ["a", "c", "B", "a1"]) await store.putManifest(manifest("r", D(10)), [], tag);
      assert.deepEqual(await store.listTags("r", { limit: 100 }), ["B", "a", "a1", "b", "c"]);
      assert.deepEqual(await store.listTags("r", { limit: 2, last: "a" }), ["a1", "b"]);
      assert.equal(await store.deleteTag("r", "a"), true);
      assert.equal(await store.deleteTag("r", "a"), false);
      assert.ok(await store.getManifest("r", D(10)));
      await store.close();
    });

    it("pull statistics accumulate and survive a re-push", async () => {
      const store = await open();
      await store.putManifest(manifest("r", D(10)), [], "v1");
      await store.recordPulls([{ repository: "r", digest: D(10), at: 5000, count: 3 }]);
      await store.recordPulls([{ repository: "r", digest: D(10), at: 6000, count: 1 }]);
      await store.putManifest(manifest("r", D(10), { pushedAt: 7000 }), [], "v2");
      const m = await store.getManifest("r", D(10));
      assert.equal(m?.pullCount, 4);
      assert.equal(m?.lastPulledAt, 6000);
      assert.equal(m?.pushedAt, 1000);
      await store.close();
    });

    it("referrers: by subject, filtered by artifact type, scoped to the repository", async () => {
      const store = await open();
      const subject = D(99);
      await store.putManifest(manifest("r", D(20), { subject, artifactType: "application/x.sig", annotations: { k: "v" } }), []);
      await store.putManifest(manifest("r", D(21), { subject, artifactType: "application/x.sbom", pushedAt: 2000 }), []);
      await store.putManifest(manifest("other", D(22), { subject }), []);
      const all = await store.listReferrers("r", subject);
      assert.deepEqual(all.map((r) => r.digest), [D(20), D(21)]);
      assert.deepEqual(all[0]?.annotations, { k: "v" });
      assert.deepEqual((await store.listReferrers("r", subject, "application/x.sbom")).map((r) => r.digest), [D(21)]);
      assert.deepEqual(await store.listReferrers("r", D(98)), []);
      await store.close();
    });

    it("uploads: create, stale listing, delete", async () => {
      const store = await open();
      await store.createUpload({ id: "u1", repository: "r", createdAt: 100, updatedAt: 100 });
      await store.createUpload({ id: "u2", repository: "r", createdAt: 100, updatedAt: 500 });
      assert.equal((await store.getUpload("u2"))?.updatedAt, 500);
      assert.deepEqual((await store.staleUploads(300, 10)).map((u) => u.id), ["u1"]);
      await store.deleteUpload("u1");
      assert.equal(await store.getUpload("u1"), undefined);
      await assert.rejects(store.createUpload({ id: "u2", repository: "r", createdAt: 1, updatedAt: 1 }));
      await store.close();
    });

    it("uploads: progress starts empty and is recorded as the lease is given back", async () => {
      const store = await open();
      await store.createUpload({ id: "u1", repository: "r", createdAt: 100, updatedAt: 100 });
      assert.deepEqual(await store.getUpload("u1"), { id: "u1", repository: "r", createdAt: 100, updatedAt: 100, size: 0, hashState: null, writerState: null });
      const leased = await store.leaseUpload("u1", 110, 200);
      assert.equal(leased?.size, 0);
      const hashState = Buffer.from([1, 2, 3, 0, 255]);
      await store.releaseUpload("u1", { size: 5_000_000_000, hashState, writerState: '{"parts":[1]}' });
      const after = await store.leaseUpload("u1", 120, 200);
      assert.equal(after?.size, 5_000_000_000, "sizes past 32 bits");
      assert.deepEqual(Buffer.from(after!.hashState!), hashState);
      assert.equal(after?.writerState, '{"parts":[1]}');
      await store.releaseUpload("u1");
      assert.equal((await store.getUpload("u1"))?.size, 5_000_000_000, "a release without progress keeps it");
      await store.close();
    });

    it("uploads: a commit links the blob and ends the session together", async () => {
      const store = await open();
      await store.createUpload({ id: "u1", repository: "new/repo", createdAt: 100, updatedAt: 100 });
      await store.commitUpload("u1", { repository: "new/repo", digest: D(5), size: 42, at: 120 });
      assert.equal(await store.getUpload("u1"), undefined);
      assert.equal(await store.linkedBlobSize("new/repo", D(5)), 42);
      assert.ok(await store.repositoryExists("new/repo"));
      await store.close();
    });

    it("uploads: one write lease at a time, free again when released or expired", async () => {
      const store = await open();
      await store.createUpload({ id: "u1", repository: "r", createdAt: 100, updatedAt: 100 });
      assert.equal((await store.leaseUpload("u1", 100, 200))?.repository, "r");
      assert.equal(await store.leaseUpload("u1", 150, 250), undefined);
      assert.equal((await store.leaseUpload("u1", 201, 300))?.repository, "r", "an expired lease can be taken");
      assert.equal((await store.getUpload("u1"))?.updatedAt, 201, "a lease touches the session");
      await store.releaseUpload("u1");
      assert.equal((await store.leaseUpload("u1", 202, 300))?.repository, "r");
      assert.equal(await store.leaseUpload("missing", 0, 1), undefined);
      assert.deepEqual(await store.staleUploads(250, 10), [], "a leased session is not stale");
      await store.releaseUpload("u1");
      assert.deepEqual((await store.staleUploads(250, 10)).map((u) => u.id), ["u1"]);
      await store.close();
    });
  });
}
