// Mark and sweep on a clock the test controls: what a collection removes, what it keeps, and when.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import pino from "pino";
import { loadConfig } from "../../src/config/config.js";
import { collectGarbage, type GcSettings } from "../../src/lifecycle/gc.js";
import type { MetadataStore } from "../../src/metadata/store.js";
import { createHash } from "node:crypto";
import { GcBusy, runGc } from "../../src/lifecycle/run.js";
import { openSqliteStores } from "../../src/metadata/sqlite.js";
import type { RegistryError } from "../../src/registry/errors.js";
import { Registry } from "../../src/registry/registry.js";
import { blobKey, uploadKey } from "../../src/registry/storage-keys.js";
import type { StorageDriver } from "../../src/storage/driver.js";
import { FilesystemDriver } from "../../src/storage/drivers/filesystem.js";
import { MemoryDriver } from "../../src/storage/drivers/memory.js";
import { blobOf, descriptorOf, makeArtifact, makeImage, makeIndex, type Manifest } from "../protocol/support.js";

const HOUR = 3_600_000;
const log = pino({ level: "silent" });

async function setup(settings: Partial<GcSettings> = {}, storage: StorageDriver = new MemoryDriver()) {
  let clock = Date.now();
  const now = () => clock;
  const { meta, jobs } = await openSqliteStores(":memory:");
  const registry = new Registry({ storage, meta, now, deleteEnabled: true, log });
  const gcSettings: GcSettings = { grace: HOUR, untagged: false, uploadAge: 24 * HOUR, ...settings };
  const deps = { meta, storage, uploads: registry.uploads, now, log };
  return {
    meta,
    jobs,
    storage,
    registry,
    advance: (ms: number) => (clock += ms),
    gc: (dryRun = false) => collectGarbage(deps, gcSettings, { dryRun }),
    async push(repository: string, manifest: Manifest, reference: string = manifest.digest) {
      for (const blob of manifest.blobs) await registry.uploads.putWhole(repository, blob.digest, chunks(blob.data));
      await registry.manifests.put(repository, reference, manifest.bytes, manifest.mediaType);
    },
    stored: async (digest: string) => (await storage.stat(blobKey(digest))) !== undefined,
    close: () => meta.close(),
  };
}

async function* chunks(data: Buffer) {
  yield data;
}

describe("garbage collection: mark and sweep", () => {
  it("sweeps across claim batches, and leaves a blob linked again between its page and its claim", async () => {
    const t = await setup();
    const digests: string[] = [];
    const batch = 100;
    // Two full batches and one more: the last batch's rows are forgotten after the loop.
    for (let i = 0; i < 2 * batch + 1; i++) {
      const digest = `sha256:${createHash("sha256").update(String(i)).digest("hex")}`;
      await t.storage.put(blobKey(digest), Buffer.from("x"));
      await t.meta.linkBlob("app/web", digest, 1, t.advance(0));
      digests.push(digest);
    }
    t.advance(2 * HOUR);
    // The second batch's claim finds one of its blobs linked afresh (a mount that won the race).
    let claims = 0;
    let relinked: string | undefined;
    const meta = new Proxy(t.meta, {
      get(target, name, receiver) {
        if (name !== "claimBlobs") return Reflect.get(target, name, receiver);
        return async (...args: Parameters<MetadataStore["claimBlobs"]>) => {
          for (const forgotten of args[4] ?? []) assert.equal(await t.stored(forgotten), false, "a row is forgotten only once its bytes are gone");
          if (++claims === 2) {
            relinked = args[0][7]!;
            await target.linkBlob("app/other", relinked, 1, t.advance(0));
          }
          return target.claimBlobs(...args);
        };
      },
    });
    const result = await collectGarbage({ meta, storage: t.storage, uploads: t.registry.uploads, now: () => t.advance(0), log }, { grace: HOUR, untagged: false, uploadAge: 24 * HOUR, claimBatch: batch });
    assert.equal(claims, 3);
    assert.deepEqual(result, { manifests: 0, blobs: 2 * batch, bytes: 2 * batch, uploads: 0 });
    for (const digest of digests) {
      const keep = digest === relinked;
      assert.equal(await t.stored(digest), keep, `${digest} ${keep ? "kept" : "removed"}`);
      assert.equal((await t.meta.getBlob(digest)) !== undefined, keep, "rows go with their bytes, in every batch");
    }
    assert.deepEqual(await t.meta.claimedBlobs(10), [], "no claim left behind");
    assert.equal(await t.meta.linkedBlobSize("app/other", relinked!), 1);
    await t.close();
  });

  it("removes blobs nothing references once the grace period has passed, and keeps the rest", async () => {
    const t = await setup();
    const kept = makeImage({ layers: 2 });
    const gone = makeImage({ layers: 1, layerSize: 1000 });
    await t.push("app/web", kept, "v1");
    await t.push("app/web", gone, "v2");
    // The kept image is in a second repository too, and deleted there only.
    await t.push("app/mirror", kept, "v1");
    await t.registry.manifests.delete("app/mirror", kept.digest);
    await t.registry.manifests.delete("app/web", gone.digest);

    assert.deepEqual(await t.gc(), { manifests: 0, blobs: 0, bytes: 0, uploads: 0 }, "everything is younger than the grace period");
    t.advance(2 * HOUR);
    const bytes = gone.blobs[0]!.size + gone.blobs[1]!.size;
    assert.deepEqual(await t.gc(true), { manifests: 0, blobs: 2, bytes, uploads: 0 }, "a dry run counts");
    assert.ok(await t.stored(gone.blobs[0]!.digest), "and removes nothing");
    assert.deepEqual(await t.gc(), { manifests: 0, blobs: 2, bytes, uploads: 0 });
    for (const blob of gone.blobs) {
      assert.equal(await t.stored(blob.digest), false);
      assert.equal(await t.meta.getBlob(blob.digest), undefined, "its record goes after its bytes");
      assert.equal(await t.meta.linkedBlobSize("app/web", blob.digest), undefined);
    }
    for (const blob of kept.blobs) {
      assert.ok(await t.stored(blob.digest), `${blob.digest} is still referenced from app/web`);
      assert.equal(await t.meta.linkedBlobSize("app/mirror", blob.digest), blob.size, "shared bytes keep every link");
    }
    assert.deepEqual(await t.gc(), { manifests: 0, blobs: 0, bytes: 0, uploads: 0 }, "nothing left to do");
    await t.close();
  });

  it("counts the grace period from the last link: a blob mounted or pushed again recently stays", async () => {
    const t = await setup();
    const image = makeImage();
    await t.push("a/one", image, "v1");
    await t.registry.manifests.delete("a/one", image.digest);
    t.advance(2 * HOUR);
    const layer = image.blobs[1]!;
    assert.equal(await t.registry.uploads.mount("a/two", layer.digest, "a/one"), layer.size);
    const result = await t.gc();
    assert.equal(result.blobs, 1, "only the config: the layer was linked again just now");
    assert.ok(await t.stored(layer.digest));
    assert.equal(await t.stored(image.blobs[0]!.digest), false);
    t.advance(2 * HOUR);
    assert.equal((await t.gc()).blobs, 1);
    assert.equal(await t.stored(layer.digest), false);
    assert.equal(await t.registry.uploads.mount("a/three", layer.digest, "a/two"), undefined, "nothing left to mount");
    await t.close();
  });

  it("keeps untagged manifests unless gc.untagged; index children stay; referrers go with their subject", async () => {
    for (const untagged of [false, true]) {
      const t = await setup({ untagged });
      const child = makeImage();
      await t.push("r/x", child);
      const index = makeIndex([child]);
      await t.push("r/x", index, "multi");
      const loose = makeImage();
      await t.push("r/x", loose);
      const subject = makeImage();
      await t.push("r/x", subject, "signed");
      const signature = makeArtifact({ subject: descriptorOf(subject) });
      await t.push("r/x", signature);
      await t.registry.manifests.delete("r/x", subject.digest);
      t.advance(2 * HOUR);
      const result = await t.gc();
      const present = async (m: Manifest) => (await t.meta.getManifest("r/x", m.digest)) !== undefined;
      assert.equal(await present(signature), false, "a referrer whose subject is gone goes");
      assert.equal(await present(child), true, "an index's child stays");
      assert.equal(await present(loose), !untagged, `untagged: ${untagged}`);
      assert.equal(result.manifests, untagged ? 2 : 1);
      for (const blob of loose.blobs) assert.equal(await t.stored(blob.digest), !untagged, "its blobs go with it");
      for (const blob of child.blobs) assert.ok(await t.stored(blob.digest));
      for (const blob of subject.blobs) assert.equal(await t.stored(blob.digest), false);
      await t.close();
    }
  });

  it("sweeps abandoned uploads, the uploads of a deleted repository and upload files without a session", async () => {
    // On disk, where the issue found `<root>/uploads/<id>` left behind by a repository's deletion.
    const root = await mkdtemp(join(tmpdir(), "berth-gc-"));
    after(() => rm(root, { recursive: true, force: true }));
    const disk = new FilesystemDriver(root, { directIo: false });
    await disk.init();
    const t = await setup({}, disk);
    const fresh = await t.registry.uploads.start("u/live");
    await t.registry.uploads.append("u/live", fresh.id, chunks(Buffer.from("fresh")));
    const old = await t.registry.uploads.start("u/old");
    await t.registry.uploads.append("u/old", old.id, chunks(Buffer.from("old")));
    await t.registry.uploads.putWhole("u/deleted", blobOf("first").digest, chunks(Buffer.from("first")));
    const doomed = await t.registry.uploads.start("u/deleted");
    await t.registry.uploads.append("u/deleted", doomed.id, chunks(Buffer.from("doomed")));
    const orphan = "0b6a3f3e-6a59-4a5e-9e55-3b1c2a7f0d11";
    await t.storage.put(uploadKey(orphan), Buffer.from("left behind"));
    t.advance(25 * HOUR);
    await t.registry.uploads.append("u/live", fresh.id, chunks(Buffer.from("!")));
    assert.ok(await t.meta.deleteRepository("u/deleted"));
    assert.equal((await t.gc(true)).uploads, 3, "the old session, the deleted repository's and the orphan file");
    assert.equal((await t.gc()).uploads, 3);
    for (const id of [old.id, doomed.id, orphan]) assert.equal(await t.storage.stat(uploadKey(id)), undefined, id);
    assert.equal(await t.meta.getUpload(old.id), undefined);
    assert.equal(await t.meta.getUpload(doomed.id), undefined);
    assert.equal((await t.storage.stat(uploadKey(fresh.id)))?.size, 6, "a live session keeps its bytes");
    await t.close();
  });

  it("finishes the claims of a run that stopped between claiming and deleting", async () => {
    const t = await setup();
    const image = makeImage();
    await t.push("s/app", image, "v1");
    await t.registry.manifests.delete("s/app", image.digest);
    t.advance(2 * HOUR);
    const digests = image.blobs.map((b) => b.digest);
    assert.equal((await t.meta.claimBlobs(digests, t.advance(0), "a-run-that-died", t.advance(0))).length, 2);
    const result = await t.gc();
    assert.deepEqual(result, { manifests: 0, blobs: 2, bytes: image.blobs[0]!.size + image.blobs[1]!.size, uploads: 0 });
    for (const d of digests) assert.equal(await t.stored(d), false);
    await t.close();
  });

  it("runs one collection at a time: on demand under the job's lease", async () => {
    const t = await setup();
    const config = loadConfig({ env: {}, flags: { "gc.grace": "0s" } });
    const app = { config, storage: t.storage, meta: t.meta, jobs: t.jobs, registry: t.registry };
    const image = makeImage();
    await t.push("o/app", image);
    await t.registry.manifests.delete("o/app", image.digest);
    assert.ok(await t.jobs.seize("gc", "someone-else", Date.now(), 60_000));
    await assert.rejects(runGc(app), GcBusy);
    const dry = await runGc(app, { dryRun: true });
    assert.equal(dry.blobs, 2, "a dry run needs no lease");
    await t.jobs.release("gc", "someone-else");
    const progress: string[] = [];
    const result = await runGc(app, { onProgress: (p) => progress.push(p.phase) });
    assert.equal(result.blobs, 2);
    assert.equal(progress.at(-1), "done");
    assert.ok(progress.includes("blobs"));
    assert.ok(await t.jobs.seize("gc", "someone-else", Date.now(), 60_000), "the lease was released");
    await t.close();
  });

  // The protocol's windows, opened on purpose: a sweep runs exactly where a racing writer is
  // between its check and its write.
  describe("a sweep inside a writer's window", () => {
    it("a manifest whose blobs a sweep took after the service checked them is refused, never stored", async () => {
      const t = await setup({ grace: 0 });
      const image = makeImage();
      for (const blob of image.blobs) await t.registry.uploads.putWhole("w/app", blob.digest, chunks(blob.data));
      t.advance(1);
      const putManifest = t.meta.putManifest.bind(t.meta);
      t.meta.putManifest = async (...args) => {
        assert.equal((await t.gc()).blobs, 2, "the sweep takes both blobs, unreferenced so far");
        return putManifest(...args);
      };
      await assert.rejects(t.registry.manifests.put("w/app", "v1", image.bytes, image.mediaType), (err: RegistryError) => err.code === "MANIFEST_BLOB_UNKNOWN");
      assert.equal(await t.meta.resolveTag("w/app", "v1"), undefined);
      await t.close();
    });

    it("a commit's bytes, moved while a sweep runs before its link is written, stay: the digest is held", async () => {
      const t = await setup({ grace: 0 });
      const blob = blobOf("pushed twice");
      await t.registry.uploads.putWhole("w/app", blob.digest, chunks(blob.data));
      assert.ok(await t.meta.unlinkBlob("w/app", blob.digest), "unlinked: garbage the next sweep takes");
      t.advance(1);
      const commitUpload = t.meta.commitUpload.bind(t.meta);
      let swept = -1;
      t.meta.commitUpload = async (...args) => {
        swept = (await t.gc()).blobs;
        return commitUpload(...args);
      };
      await t.registry.uploads.putWhole("w/other", blob.digest, chunks(blob.data));
      assert.equal(swept, 0, "the held digest was left alone");
      assert.ok(await t.stored(blob.digest));
      assert.equal(await t.meta.linkedBlobSize("w/other", blob.digest), blob.size);
      await t.close();
    });

    it("a commit of a digest a sweep has claimed waits for the claim to end, then stores it again", async () => {
      const t = await setup({ grace: 0 });
      const blob = blobOf("claimed meanwhile");
      await t.registry.uploads.putWhole("w/app", blob.digest, chunks(blob.data));
      assert.ok(await t.meta.unlinkBlob("w/app", blob.digest));
      t.advance(1);
      assert.equal((await t.meta.claimBlobs([blob.digest], t.advance(0), "slow-gc", t.advance(0))).length, 1);
      const push = t.registry.uploads.putWhole("w/app", blob.digest, chunks(blob.data));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await t.storage.delete([blobKey(blob.digest)]);
      await t.meta.forgetBlobs([blob.digest]);
      await push;
      assert.ok(await t.stored(blob.digest), "stored again after the sweep deleted the old bytes");
      assert.equal(await t.meta.linkedBlobSize("w/app", blob.digest), blob.size);
      await t.close();
    });

    it("a mount of a blob a sweep took after the source was checked is refused (the client uploads instead)", async () => {
      const t = await setup({ grace: 0 });
      const blob = blobOf("mounted");
      await t.registry.uploads.putWhole("w/source", blob.digest, chunks(blob.data));
      t.advance(1);
      const mountBlob = t.meta.mountBlob.bind(t.meta);
      t.meta.mountBlob = async (...args) => {
        assert.equal((await t.gc()).blobs, 1);
        return mountBlob(...args);
      };
      assert.equal(await t.registry.uploads.mount("w/target", blob.digest, "w/source"), undefined);
      assert.equal(await t.meta.linkedBlobSize("w/target", blob.digest), undefined);
      await t.close();
    });
  });
});
