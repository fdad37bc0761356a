// The one suite every MetadataStore backend must pass.
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { BlobBeingCollected, MissingReferences, RepositoryLimitReached, type MetadataStore, type NewManifest } from "../../src/metadata/store.js";
import { manifestRecord } from "./records.js";
import { openStores, type WriterReport, type WriterSpec } from "./writer-process.js";

const WRITER = fileURLToPath(new URL("./writer-process.js", import.meta.url));

const D = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

function manifest(repository: string, digest: string, extra: Partial<NewManifest> = {}): NewManifest {
  return manifestRecord(repository, digest, { artifactType: "application/vnd.oci.image.config.v1+json", size: 3, content: Buffer.from("{ }"), ...extra });
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

    it("repositories: names compare and sort in byte order, whatever the database's collation", async () => {
      const store = await open();
      // en_US.UTF-8 would sort these A a0 a-b a.b a/b ab, and put "a/..." outside the range "a/" to "a0".
      const names = ["a/b", "a-b", "a0", "A", "a.b", "ab", "a/c/d", "a"];
      for (const name of names) assert.equal(await store.createRepository(name, 1), true);
      assert.deepEqual(await store.listRepositories({ limit: 100 }), ["A", "a", "a-b", "a.b", "a/b", "a/c/d", "a0", "ab"]);
      assert.deepEqual(await store.listRepositories({ limit: 100, prefix: "a/" }), ["a/b", "a/c/d"]);
      assert.deepEqual(await store.listRepositories({ limit: 1, prefix: "a/", last: "a/b" }), ["a/c/d"]);
      assert.deepEqual(await store.listRepositories({ limit: 100, prefix: "a." }), ["a.b"]);
      assert.deepEqual(await store.listRepositories({ limit: 3, last: "a-b" }), ["a.b", "a/b", "a/c/d"]);
      await store.close();
    });

    it("repositories: created once explicitly; deleting one removes its manifests, tags, links and uploads", async () => {
      const store = await open();
      assert.equal(await store.createRepository("keep", 1), true);
      assert.equal(await store.createRepository("gone", 1), true);
      assert.equal(await store.createRepository("gone", 2), false, "exists already");
      for (const repo of ["keep", "gone"]) {
        await store.linkBlob(repo, D(1), 10, 1);
        await store.putManifest(manifest(repo, D(10)), [{ child: D(1), kind: "blob" }], "v1");
        await store.createUpload({ id: `u-${repo}`, repository: repo, createdAt: 1, updatedAt: 1 });
      }
      assert.equal(await store.deleteRepository("gone"), true);
      assert.equal(await store.deleteRepository("gone"), false);
      assert.equal(await store.repositoryExists("gone"), false);
      assert.equal(await store.getManifest("gone", D(10)), undefined);
      assert.equal(await store.resolveTag("gone", "v1"), undefined);
      assert.equal(await store.linkedBlobSize("gone", D(1)), undefined);
      assert.notEqual((await store.getUpload("u-gone"))?.repository, "gone", "no request finds its uploads");
      assert.ok((await store.staleUploads(1, 10)).some((u) => u.id === "u-gone"), "they are stale at once, for the purger");
      assert.equal((await store.getUpload("u-keep"))?.repository, "keep");
      assert.deepEqual(await store.repositoriesWithBlob(D(1), 10), ["keep"]);
      assert.equal(await store.resolveTag("keep", "v1"), D(10), "the other repository is untouched");
      // A repository of the same name starts empty.
      await store.linkBlob("gone", D(2), 5, 3);
      assert.deepEqual((await store.repositoryStats(["gone"])).get("gone"), { tags: 0, manifests: 0, size: 0, pulls: 0, lastPushedAt: null });
      await store.close();
    });

    it("repository stats: tags, manifests, pulls and last push per repository, unknown names as zero", async () => {
      const store = await open();
      await store.linkBlob("r", D(1), 100, 1);
      await store.putManifest(manifest("r", D(10), { pushedAt: 1000 }), [{ child: D(1), kind: "blob" }], "v1");
      await store.putManifest(manifest("r", D(11), { pushedAt: 3000 }), [{ child: D(1), kind: "blob" }], "v2");
      await store.putManifest(manifest("r", D(11)), [], "latest");
      await store.putManifest(manifest("s", D(12), { pushedAt: 2000 }), []);
      await store.recordPulls([
        { repository: "r", digest: D(10), at: 5000, count: 2 },
        { repository: "r", digest: D(11), at: 5000, count: 3 },
        { repository: "s", digest: D(12), at: 5000, count: 1 },
        { repository: "missing", digest: D(12), at: 5000, count: 1 },
      ]);
      const stats = await store.repositoryStats(["r", "s", "none", "r"]);
      assert.deepEqual(stats.get("r"), { tags: 3, manifests: 2, size: 100, pulls: 5, lastPushedAt: 3000 });
      assert.deepEqual(stats.get("s"), { tags: 0, manifests: 1, size: 0, pulls: 1, lastPushedAt: 2000 });
      assert.deepEqual(stats.get("none"), { tags: 0, manifests: 0, size: 0, pulls: 0, lastPushedAt: null });
      assert.equal(stats.size, 3);
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
      await store.linkBlob("r", D(1), 10, 1);
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
      for (const tag of ["a", "c", "B", "a1", "a-1", "a.1", "a_1"]) await store.putManifest(manifest("r", D(10)), [], tag);
      // The OCI spec's lexical order: byte order ("-" < "." < "1" < "B" < "_" < "a").
      assert.deepEqual(await store.listTags("r", { limit: 100 }), ["B", "a", "a-1", "a.1", "a1", "a_1", "b", "c"]);
      assert.deepEqual(await store.listTags("r", { limit: 2, last: "a.1" }), ["a1", "a_1"]);
      assert.deepEqual(await store.listTags("r", { limit: 2, last: "a_1" }), ["b", "c"]);
      assert.equal(await store.deleteTag("r", "a"), true);
      assert.equal(await store.deleteTag("r", "a"), false);
      assert.ok(await store.getManifest("r", D(10)));
      await store.close();
    });

    it("tag records and manifest listings: sorted, paginated, each manifest with its tags", async () => {
      const store = await open();
      await store.putManifest(manifest("r", D(2)), [], "old");
      await store.putManifest(manifest("r", D(1)), [], "v1");
      await store.putManifest(manifest("r", D(1)), [], "latest");
      await store.putManifest(manifest("r", D(3)), []);
      await store.putManifest(manifest("other", D(4)), [], "v1");
      assert.deepEqual(await store.listTagRecords("r", { limit: 2 }), [
        { name: "latest", digest: D(1), size: 3, pushedAt: 1000 },
        { name: "old", digest: D(2), size: 3, pushedAt: 1000 },
      ]);
      assert.deepEqual(await store.listTagRecords("r", { limit: 2, last: "old" }), [{ name: "v1", digest: D(1), size: 3, pushedAt: 1000 }]);
      const listed = await store.listManifests("r", { limit: 10 });
      assert.deepEqual(listed.map((m) => [m.digest, m.tags]), [[D(1), ["latest", "v1"]], [D(2), ["old"]], [D(3), []]]);
      assert.equal(typeof listed[0]!.size, "number");
      assert.equal(listed[0]!.lastPulledAt, null);
      assert.deepEqual((await store.listManifests("r", { limit: 1, last: D(1) })).map((m) => m.digest), [D(2)]);
      assert.deepEqual(await store.listManifests("none", { limit: 10 }), []);
      await store.close();
    });

    it("pushed by: kept with the manifest, the first pusher's through a re-push, null when unknown", async () => {
      const store = await open();
      await store.putManifest(manifest("r", D(10), { pushedBy: "acme/ann" }), [], "v1");
      await store.putManifest(manifest("r", D(10), { pushedBy: "acme/bob" }), [], "v2");
      await store.putManifest(manifest("r", D(11)), []);
      assert.equal((await store.getManifest("r", D(10)))?.pushedBy, "acme/ann");
      assert.equal((await store.getTaggedManifest("r", "v2"))?.pushedBy, "acme/ann");
      assert.equal((await store.getManifest("r", D(11)))?.pushedBy, null);
      assert.deepEqual((await store.listManifests("r", { limit: 10 })).map((m) => m.pushedBy), ["acme/ann", null]);
      await store.close();
    });

    it("tag records: filtered by a substring, case ignored, wildcards literal, still paginated", async () => {
      const store = await open();
      await store.putManifest(manifest("r", D(1)), []);
      for (const tag of ["Release-1", "release_2", "v1", "pre%release", "relXase", "x-release-3"]) await store.putManifest(manifest("r", D(1), { pushedAt: 2000 }), [], tag);
      const names = async (page: { limit: number; last?: string; filter: string }) => (await store.listTagRecords("r", page)).map((t) => t.name);
      assert.deepEqual(await names({ limit: 10, filter: "RELEASE" }), ["Release-1", "pre%release", "release_2", "x-release-3"]);
      assert.deepEqual(await names({ limit: 2, filter: "release" }), ["Release-1", "pre%release"]);
      assert.deepEqual(await names({ limit: 2, last: "pre%release", filter: "release" }), ["release_2", "x-release-3"]);
      assert.deepEqual(await names({ limit: 10, filter: "e_" }), ["release_2"], "_ is no wildcard");
      assert.deepEqual(await names({ limit: 10, filter: "%r" }), ["pre%release"], "% is no wildcard");
      assert.deepEqual(await names({ limit: 10, filter: "!" }), []);
      assert.equal((await store.listTagRecords("r", { limit: 1, filter: "v1" }))[0]!.pushedAt, 2000, "the tag's push");
      for (const name of ["acme/web", "acme/Web-API", "acme/db", "beta/website"]) await store.createRepository(name, 1);
      assert.deepEqual(await store.listRepositories({ limit: 10, filter: "WEB" }), ["acme/Web-API", "acme/web", "beta/website"]);
      assert.deepEqual(await store.listRepositories({ limit: 10, filter: "web", prefix: "acme/" }), ["acme/Web-API", "acme/web"]);
      await store.close();
    });

    it("image sizes: the manifest, an index's children, and the blobs they reference, each once", async () => {
      const store = await open();
      await store.linkBlob("r", D(1), 100, 1);
      await store.linkBlob("r", D(2), 20, 1);
      await store.linkBlob("r", D(3), 5, 1);
      await store.putManifest(manifest("r", D(10), { size: 3 }), [{ child: D(1), kind: "blob" }, { child: D(2), kind: "blob" }], "amd64");
      await store.putManifest(manifest("r", D(11), { size: 4 }), [{ child: D(1), kind: "blob" }, { child: D(3), kind: "blob" }]);
      await store.putManifest(manifest("r", D(12), { size: 7 }), [{ child: D(10), kind: "manifest" }, { child: D(11), kind: "manifest" }], "multi");
      const sizes = await store.imageSizes("r", [D(10), D(11), D(12), D(99)]);
      assert.deepEqual([...sizes].sort(), [[D(10), 123], [D(11), 109], [D(12), 7 + 3 + 4 + 100 + 20 + 5]]);
      assert.deepEqual((await store.listTagRecords("r", { limit: 10 })).map((t) => [t.name, t.size]), [["amd64", 123], ["multi", 139]]);
      assert.deepEqual((await store.listManifests("r", { limit: 10 })).map((m) => m.size), [123, 109, 139]);
      const index = { schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: D(10), size: 3, platform: { os: "linux", architecture: "arm64", variant: "v8" } }, { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: D(11), size: 4 }] };
      await store.putManifest(manifest("r", D(13), { mediaType: "application/vnd.oci.image.index.v1+json", content: Buffer.from(JSON.stringify(index)) }), []);
      const listed = await store.listManifests("r", { limit: 10 });
      assert.deepEqual(listed.find((m) => m.digest === D(13))?.platforms, [{ os: "linux", architecture: "arm64", variant: "v8" }]);
      assert.equal(listed.find((m) => m.digest === D(10))?.platforms, undefined, "an image has none");
      await store.putManifest(manifest("r", D(10)), [], "x86");
      assert.deepEqual(await store.tagsOf("r", D(10)), ["amd64", "x86"]);
      assert.deepEqual(await store.tagsOf("r", D(11)), []);
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
      await store.releaseUpload("u1", undefined, { size: 5_000_000_000, hashState, writerState: '{"parts":[1]}' });
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
      assert.equal(await store.holdBlob(D(5), 42, "u1", 110, 10_000), true);
      await store.commitUpload("u1", { repository: "new/repo", digest: D(5), size: 42, at: 120 });
      assert.equal(await store.getUpload("u1"), undefined);
      assert.equal(await store.linkedBlobSize("new/repo", D(5)), 42);
      assert.ok(await store.repositoryExists("new/repo"));
      await store.close();
    });

    it("repository size: the distinct blobs its manifests reference, so 0 once every manifest is gone", async () => {
      const store = await open();
      for (const [digest, size] of [[D(1), 100], [D(2), 20], [D(3), 7]] as const) await store.linkBlob("r", digest, size, 1);
      await store.putManifest(manifest("r", D(10)), [{ child: D(1), kind: "blob" }, { child: D(2), kind: "blob" }], "v1");
      await store.putManifest(manifest("r", D(11)), [{ child: D(1), kind: "blob" }, { child: D(10), kind: "manifest" }], "v2");
      const size = async () => (await store.repositoryStats(["r"])).get("r")!.size;
      assert.equal(await size(), 120, "D(1) once, D(2); D(3) is referenced by no manifest");
      assert.ok(await store.deleteManifest("r", D(10)));
      assert.equal(await size(), 100);
      assert.ok(await store.deleteManifest("r", D(11)));
      const stats = (await store.repositoryStats(["r"])).get("r")!;
      assert.deepEqual(stats, { tags: 0, manifests: 0, size: 0, pulls: 0, lastPushedAt: null });
      assert.equal(await store.linkedBlobSize("r", D(3)), 7, "the blobs stay linked until garbage collection");
      await store.close();
    });

    it("blobs: one record per digest, written with the commit or link, last linked moving with each", async () => {
      const store = await open();
      await store.linkBlob("a", D(1), 10, 100);
      assert.deepEqual(await store.getBlob(D(1)), { digest: D(1), size: 10, createdAt: 100, linkedAt: 100, claimed: false });
      await store.linkBlob("b", D(1), 10, 200);
      assert.equal(await store.mountBlob("c", D(1), 10, "a", 300), true);
      assert.deepEqual(await store.getBlob(D(1)), { digest: D(1), size: 10, createdAt: 100, linkedAt: 300, claimed: false });
      assert.equal(await store.mountBlob("c", D(1), 10, "nowhere", 400), false, "the source does not hold it");
      assert.equal(await store.linkedBlobSize("c", D(1)), 10);
      await store.createUpload({ id: "u1", repository: "d", createdAt: 1, updatedAt: 1 });
      assert.equal(await store.holdBlob(D(2), 5, "u1", 500, 600), true);
      assert.equal((await store.getBlob(D(2)))?.linkedAt, 500, "held: recorded before the bytes move");
      await store.commitUpload("u1", { repository: "d", digest: D(2), size: 5, at: 550 });
      assert.equal((await store.getBlob(D(2)))?.linkedAt, 550);
      assert.equal(await store.getBlob(D(3)), undefined);
      await store.close();
    });

    it("blobs: a manifest's references are checked in the transaction that stores it", async () => {
      const store = await open();
      await store.linkBlob("r", D(1), 10, 1);
      await store.linkBlob("other", D(2), 10, 1);
      await assert.rejects(
        store.putManifest(manifest("r", D(10)), [{ child: D(1), kind: "blob" }, { child: D(2), kind: "blob" }], "v1"),
        (err) => err instanceof MissingReferences && err.missing.join() === D(2),
      );
      await assert.rejects(store.putManifest(manifest("r", D(11)), [{ child: D(12), kind: "manifest" }]), MissingReferences);
      assert.equal(await store.getManifest("r", D(10)), undefined, "nothing written");
      assert.equal(await store.resolveTag("r", "v1"), undefined);
      await store.putManifest(manifest("r", D(12)), [{ child: D(1), kind: "blob" }]);
      await store.putManifest(manifest("r", D(11)), [{ child: D(12), kind: "manifest" }], "index");
      assert.equal(await store.resolveTag("r", "index"), D(11));
      await store.close();
    });

    it("gc: blobs nothing references, claimed after a re-check, linked by nothing until forgotten", async () => {
      const store = await open();
      for (const n of [1, 2, 3, 4]) await store.linkBlob("r", D(n), n * 10, 100);
      await store.linkBlob("s", D(4), 40, 900);
      await store.putManifest(manifest("r", D(10)), [{ child: D(1), kind: "blob" }], "v1");
      await store.createUpload({ id: "u1", repository: "r", createdAt: 1, updatedAt: 1 });
      assert.equal(await store.holdBlob(D(3), 30, "u1", 100, 2000), true);
      const unreferenced = async (before: number) => (await store.unreferencedBlobs(before, undefined, 10)).map((b) => b.digest);
      assert.deepEqual(await unreferenced(500), [D(2), D(3)], "D(1) referenced, D(4) linked again at 900");
      assert.deepEqual(await unreferenced(1000), [D(2), D(3), D(4)]);
      const page = async (after: string, limit: number) => (await store.unreferencedBlobs(1000, after, limit)).map((b) => b.digest);
      assert.deepEqual(await page(D(2), 1), [D(3)], "paged by digest");
      assert.deepEqual(await page(D(3), 5), [D(4)]);
      assert.deepEqual(await page(D(1), 5), [D(2), D(3), D(4)], "whatever their last link");
      // D(1) became referenced, D(3) is held: the claim checks again and leaves them.
      const claimed = await store.claimBlobs([D(1), D(2), D(3), D(4)], 1000, "gc-1", 1000);
      assert.deepEqual(claimed.map((b) => [b.digest, b.size]), [[D(2), 20], [D(4), 40]]);
      assert.equal(await store.linkedBlobSize("r", D(2)), undefined, "links go with the claim");
      assert.deepEqual(await store.repositoriesWithBlob(D(4), 10), []);
      assert.deepEqual(await unreferenced(1000), [D(3)], "claimed blobs are not listed again");
      assert.deepEqual((await store.claimedBlobs(10)).map((b) => b.digest), [D(2), D(4)]);
      // Nothing links a claimed blob.
      assert.equal(await store.holdBlob(D(2), 20, "u2", 1100, 2000), false);
      await assert.rejects(store.linkBlob("t", D(2), 20, 1100), BlobBeingCollected);
      assert.equal(await store.mountBlob("t", D(4), 40, "r", 1100), false);
      await store.forgetBlobs([D(2), D(4)]);
      assert.equal(await store.getBlob(D(2)), undefined);
      assert.deepEqual(await store.claimedBlobs(10), []);
      assert.equal(await store.holdBlob(D(2), 20, "u2", 1200, 2000), true, "a new push of the digest starts afresh");
      // An expired hold does not protect: its commit then finds the hold gone and fails.
      assert.deepEqual((await store.claimBlobs([D(3)], 1000, "gc-2", 3000)).map((b) => b.digest), [D(3)]);
      await assert.rejects(store.commitUpload("u1", { repository: "r", digest: D(3), size: 30, at: 3000 }), BlobBeingCollected);
      assert.ok(await store.getUpload("u1"), "nothing written");
      await store.close();
    });

    it("gc: a claim forgets, in its transaction, claimed blobs whose bytes are gone, and only claimed ones", async () => {
      const store = await open();
      for (const n of [1, 2, 3]) await store.linkBlob("r", D(n), n * 10, 100);
      assert.deepEqual((await store.claimBlobs([D(1)], 1000, "gc-1", 1000)).map((b) => b.digest), [D(1)]);
      const claimed = await store.claimBlobs([D(2)], 1000, "gc-1", 1000, [D(1), D(3)]);
      assert.deepEqual(claimed.map((b) => b.digest), [D(2)]);
      assert.equal(await store.getBlob(D(1)), undefined, "forgotten");
      assert.equal(await store.linkedBlobSize("r", D(3)), 30, "an unclaimed blob is never forgotten");
      assert.deepEqual((await store.claimBlobs([], 1000, "gc-1", 1000, [D(2)])).map((b) => b.digest), []);
      assert.deepEqual(await store.claimedBlobs(10), [], "an empty claim still forgets");
      await store.close();
    });

    it("gc: manifests removed by rule: referrers of a gone subject, and untagged ones with gc.untagged", async () => {
      const store = await open();
      const put = (digest: string, extra: Partial<NewManifest> = {}, refs: { child: string; kind: "blob" | "manifest" }[] = [], tag?: string) =>
        store.putManifest(manifest("r", digest, extra), refs, tag);
      await put(D(1), {}, [], "tagged");
      await put(D(2)); // untagged
      await put(D(3), { subject: D(1) }); // referrer of a tagged manifest
      await put(D(4), { subject: D(99) }); // referrer whose subject is gone
      await put(D(5), { subject: D(99), pushedAt: 5000 }); // the same, but recent
      await put(D(6)); // untagged, but listed by an index
      await put(D(7), {}, [{ child: D(6), kind: "manifest" }], "index");
      await put(D(8), { subject: D(2) }); // referrer of an untagged manifest
      const keys = async (untagged: boolean) =>
        (await store.unreachableManifests({ before: 2000, untagged }, undefined, 10)).map((k) => `${k.repository} ${k.digest}`);
      assert.deepEqual(await keys(false), [`r ${D(4)}`]);
      assert.deepEqual(await keys(true), [`r ${D(2)}`, `r ${D(4)}`]);
      assert.deepEqual(await store.unreachableManifests({ before: 2000, untagged: true }, { repository: "r", digest: D(2) }, 10), [{ repository: "r", digest: D(4) }]);
      assert.equal(await store.deleteUnreachableManifest({ repository: "r", digest: D(1) }, { before: 2000, untagged: true }), false, "tagged");
      assert.equal(await store.deleteUnreachableManifest({ repository: "r", digest: D(2) }, { before: 2000, untagged: true }), true);
      assert.equal(await store.getManifest("r", D(2)), undefined);
      assert.deepEqual(await keys(false), [`r ${D(4)}`, `r ${D(8)}`], "its referrer goes next");
      assert.equal(await store.deleteUnreachableManifest({ repository: "r", digest: D(7) }, { before: 2000, untagged: true }), false);
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

    it("uploads: a lease names its holder, who renews it; a gone holder's lease can be taken over", async () => {
      const store = await open();
      await store.createUpload({ id: "u1", repository: "r", createdAt: 100, updatedAt: 100 });
      assert.equal((await store.getUpload("u1"))?.lease, undefined);
      assert.equal((await store.leaseUpload("u1", 100, 130, "A"))?.repository, "r");
      assert.deepEqual((await store.getUpload("u1"))?.lease, { holder: "A", until: 130 });
      assert.equal(await store.renewUploadLease("u1", "A", 160), true);
      assert.equal(await store.renewUploadLease("u1", "B", 190), false, "only the holder renews");
      assert.equal(await store.leaseUpload("u1", 150, 180, "B"), undefined, "renewed: still held at 150");
      assert.equal(await store.leaseUpload("u1", 150, 180, "B", "C"), undefined, "replacing someone who does not hold it");
      assert.equal((await store.leaseUpload("u1", 150, 180, "B", "A"))?.repository, "r", "A is gone: B takes over at once");
      assert.equal(await store.leaseUpload("u1", 151, 180, "C", "A"), undefined, "a second takeover of A loses");
      assert.equal(await store.renewUploadLease("u1", "A", 400), false, "A lost it");
      await store.releaseUpload("u1", "A");
      assert.deepEqual((await store.getUpload("u1"))?.lease, { holder: "B", until: 180 }, "A cannot release B's lease");
      await store.releaseUpload("u1", "B");
      assert.equal((await store.getUpload("u1"))?.lease, undefined);
      await store.close();
    });

    it("retention: untagged_since follows the last tag (moved, deleted), is the push for a digest push, and images leave out index children and referrers", async () => {
      const store = await open();
      const repo = "t/app";
      await store.putManifest(manifest(repo, D(1), { pushedAt: 100 }), [], "v1");
      await store.putManifest(manifest(repo, D(2), { pushedAt: 200 }), [], "v2");
      await store.putManifest(manifest(repo, D(3), { pushedAt: 300 }), []);
      const facts = async () => new Map((await store.retentionImages(repo)).map((i) => [i.digest, i]));
      assert.equal((await facts()).get(D(1))!.untaggedSince, null);
      assert.equal((await facts()).get(D(3))!.untaggedSince, 300, "pushed by digest: untagged since its push");
      // v1 moves from D(1) to D(2): D(1) lost its last tag then; D(2) keeps one.
      await store.putManifest(manifest(repo, D(2), { pushedAt: 400 }), [], "v1");
      assert.equal((await facts()).get(D(1))!.untaggedSince, 400);
      assert.deepEqual((await facts()).get(D(2))!.tags, ["v1", "v2"]);
      // Deleting one of two tags leaves it tagged; the second untags it.
      assert.equal(await store.deleteTag(repo, "v2", 500), true);
      assert.equal((await facts()).get(D(2))!.untaggedSince, null);
      assert.equal(await store.deleteTag(repo, "v1", 600), true);
      assert.equal((await facts()).get(D(2))!.untaggedSince, 600);
      // Tagged again: tagged.
      await store.putManifest(manifest(repo, D(3), { pushedAt: 700 }), [], "again");
      assert.equal((await facts()).get(D(3))!.untaggedSince, null);
      assert.equal((await facts()).get(D(3))!.pushedAt, 300, "a re-put keeps the first push");
      // An index's children and a referrer are not images of their own.
      await store.putManifest(manifest(repo, D(4), { pushedAt: 800 }), [], undefined);
      await store.putManifest(manifest(repo, D(5), { pushedAt: 800, mediaType: "application/vnd.oci.image.index.v1+json" }), [{ child: D(4), kind: "manifest" }], "multi");
      await store.putManifest(manifest(repo, D(6), { pushedAt: 800, subject: D(5) }), []);
      assert.deepEqual([...(await facts()).keys()], [D(1), D(2), D(3), D(5)]);
      assert.deepEqual((await facts()).get(D(5))!.children, [{ digest: D(4), tagged: false }]);
      assert.deepEqual((await facts()).get(D(1))!.children, []);
      await store.close();
    });

    it("retention: policies by tenancy; a repository is in at most one override; deleting an override frees its repositories", async () => {
      const store = await open();
      assert.deepEqual(await store.retentionPolicies("t"), []);
      assert.equal(await store.putRetentionPolicy("t", "global", '{"a":1}', 10, "upsert"), true);
      assert.equal(await store.putRetentionPolicy("t", "global", '{"a":2}', 20, "upsert"), true);
      assert.equal(await store.putRetentionPolicy("t", "ci", "{}", 30, "create"), true);
      assert.equal(await store.putRetentionPolicy("t", "ci", "{}", 31, "create"), false, "exists");
      assert.equal(await store.putRetentionPolicy("t", "none", "{}", 31, "update"), false, "no such policy");
      assert.equal(await store.putRetentionPolicy("t", "web", "{}", 40, "create"), true);
      assert.equal(await store.putRetentionPolicy("u", "global", "{}", 40, "upsert"), true);
      assert.equal(await store.addRetentionRepository("t", "ci", "t/a", 50), "added");
      assert.equal(await store.addRetentionRepository("t", "ci", "t/a", 51), "present");
      assert.deepEqual(await store.addRetentionRepository("t", "web", "t/a", 52), { heldBy: "ci" });
      assert.equal(await store.addRetentionRepository("t", "nope", "t/b", 52), "no-policy");
      const policies = await store.retentionPolicies("t");
      assert.deepEqual(
        policies.map((p) => [p.name, p.rules, p.changedAt, p.repositories]),
        [
          ["ci", "{}", 50, ["t/a"]],
          ["global", '{"a":2}', 20, []],
          ["web", "{}", 40, []],
        ],
      );
      assert.equal(policies.find((p) => p.name === "global")!.createdAt, 10);
      assert.deepEqual(await store.retentionTenancies(), ["t", "u"]);
      assert.equal(await store.removeRetentionRepository("t", "web", "t/a", 60), false, "not in that one");
      assert.equal(await store.deleteRetentionPolicy("t", "ci"), true);
      assert.equal(await store.deleteRetentionPolicy("t", "ci"), false);
      assert.equal(await store.addRetentionRepository("t", "web", "t/a", 70), "added", "free again");
      assert.equal(await store.removeRetentionRepository("t", "web", "t/a", 80), true);
      assert.equal((await store.retentionPolicies("t")).find((p) => p.name === "web")!.changedAt, 80);
      await store.addRetentionRepository("t", "web", "t/a", 90);
      await store.deleteRetentionPolicies("t");
      assert.deepEqual(await store.retentionPolicies("t"), []);
      assert.deepEqual(await store.retentionTenancies(), ["u"]);
      assert.equal(await store.putRetentionPolicy("t", "x", "{}", 100, "create"), true);
      assert.equal(await store.addRetentionRepository("t", "x", "t/a", 100), "added", "the repository went with its policy");
      await store.close();
    });
  });
}

/**
 * Several processes writing one database at once, every kind of write together: none may fail,
 * and the limits (2 auth tokens per user, a tenancy's repositories) hold exactly. `newDatabase`
 * makes a fresh, migrated database and says how a writer process opens it.
 */
export function concurrentWritersSuite(name: string, newDatabase: () => Promise<WriterSpec>): void {
  describe(`MetadataStore and IamStore under concurrent writers: ${name}`, () => {
    it("the repository limit: new repositories stop at it, existing ones still take writes", async () => {
      const spec = await newDatabase();
      const { meta, iam } = await openStores(spec, { repositoryLimits: true });
      await iam.createTenancy({ namespace: "team", description: "", repositoryLimit: 2, createdAt: 1 });
      assert.equal(await meta.createRepository("team/a", 1), true);
      assert.equal(await meta.createRepository("team/a", 1), false, "exists already");
      await meta.linkBlob("team/b", D(1), 10, 1);
      const refusedAt = (limit: number) => (err: unknown) =>
        err instanceof RepositoryLimitReached && err.message.startsWith(`tenancy team has reached its limit of ${limit} repositories`);
      const refused = refusedAt(2);
      await assert.rejects(meta.createRepository("team/c", 1), refused);
      await assert.rejects(meta.linkBlob("team/c", D(1), 10, 1), refused);
      await assert.rejects(meta.putManifest(manifest("team/c", D(10)), [], "v1"), refused);
      await assert.rejects(meta.createUpload({ id: "u1", repository: "team/c", createdAt: 1, updatedAt: 1 }), refused, "refused before any bytes");
      assert.equal(await meta.getUpload("u1"), undefined);
      assert.equal(await meta.repositoryExists("team/c"), false);
      assert.equal(await meta.resolveTag("team/c", "v1"), undefined, "a refused manifest leaves nothing behind");
      // Writes into existing repositories go on at the limit.
      await meta.createUpload({ id: "u2", repository: "team/a", createdAt: 1, updatedAt: 1 });
      await meta.holdBlob(D(2), 5, "u2", 2, 1000);
      await meta.commitUpload("u2", { repository: "team/a", digest: D(2), size: 5, at: 2 });
      await meta.putManifest(manifest("team/a", D(11)), [{ child: D(2), kind: "blob" }], "v1");
      assert.equal(await meta.resolveTag("team/a", "v1"), D(11));
      // An upload opened while there was room but committed once there is none ends with its session.
      await iam.updateTenancy("team", { repositoryLimit: 3 });
      await meta.createUpload({ id: "u3", repository: "team/d", createdAt: 1, updatedAt: 1 });
      await meta.createRepository("team/e", 1);
      await meta.holdBlob(D(3), 5, "u3", 2, 1000);
      await assert.rejects(meta.commitUpload("u3", { repository: "team/d", digest: D(3), size: 5, at: 2 }), refusedAt(3));
      assert.equal(await meta.getUpload("u3"), undefined);
      await assert.rejects(meta.createRepository("other/x", 1), /there is no tenancy other/);
      assert.equal(await iam.deleteTenancy("team"), false, "a tenancy that holds repositories stays");
      assert.ok(await iam.getTenancy("team"));
      await meta.close();
      // Without limits (auth disabled) there are no tenancies to ask.
      const open = await openStores(spec);
      await open.meta.linkBlob("other/x", D(1), 10, 1);
      await open.meta.linkBlob("team/f", D(1), 10, 1);
      await open.meta.close();
    });

    it("four processes writing at once: no write fails, every limit holds", async () => {
      const spec = await newDatabase();
      const { meta, iam } = await openStores(spec, { repositoryLimits: true });
      await iam.createTenancy({ namespace: "team", description: "", repositoryLimit: 5, createdAt: 1 });
      await iam.createUser({ id: "u1", tenancy: "team", name: "ann", description: "", createdAt: 1 });
      for (const existing of ["team/a", "team/b"]) assert.ok(await meta.createRepository(existing, 1));
      await meta.close();

      const writers = [0, 1, 2, 3].map((id) => fork(WRITER, [JSON.stringify(spec), String(id)], { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
      const reports = writers.map(
        (child) =>
          new Promise<WriterReport>((resolve, reject) => {
            child.on("message", (m) => m !== "ready" && resolve(m as WriterReport));
            child.once("exit", (code) => reject(new Error(`a writer exited with ${code} before reporting`)));
          }),
      );
      // All at once: each waits for "go" until every one has opened the database.
      await Promise.all(writers.map((child) => new Promise((ready) => child.once("message", ready))));
      for (const child of writers) child.send("go");
      const done = await Promise.all(reports);

      assert.deepEqual(done.flatMap((r) => r.errors), [], "no write failed");
      assert.equal(done.reduce((n, r) => n + r.tokensCreated, 0), 2, "two auth tokens, no more");
      const created = done.flatMap((r) => r.repositoriesCreated);
      assert.equal(created.length, 3, `three repositories fit under the limit of 5: ${created}`);
      assert.equal(done.reduce((n, r) => n + r.limitRefusals, 0), 4 * 6 - 3, "every other creation was refused");
      const check = await openStores(spec, { repositoryLimits: true });
      assert.equal(await check.iam.countRepositories("team"), 5);
      assert.equal((await check.iam.listAuthTokens("u1")).length, 2);
      assert.deepEqual(await check.iam.listUsers("team").then((users) => users.map((u) => u.name)), ["ann"], "every user made was deleted again");
      await check.meta.close();
    });
  });
}
