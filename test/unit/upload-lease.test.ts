// Upload session leases (src/registry/upload-lease.ts, src/registry/uploads.ts): kept while a
// request writes, never taken from a live holder, taken back from a holder that is gone. (A
// holder killed with SIGKILL is test/server/crashed-upload.test.ts.)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openSqliteStores } from "../../src/metadata/sqlite.js";
import type { SqlMetadataStore } from "../../src/metadata/sql-store.js";
import { RegistryError } from "../../src/registry/errors.js";
import { KeptLease, LEASE_MS, LeaseHolder } from "../../src/registry/upload-lease.js";
import { UploadService } from "../../src/registry/uploads.js";
import { createLogger } from "../../src/server/logger.js";
import type { Chunks } from "../../src/storage/driver.js";
import { FilesystemDriver } from "../../src/storage/drivers/filesystem.js";

const REPO = "ns/app";
const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
async function* bodyOf(b: Buffer): Chunks {
  yield b;
}

let root: string;
const closers: (() => Promise<void>)[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "berth-lease-"));
});

after(async () => {
  for (const close of closers) await close();
  await rm(root, { recursive: true, force: true });
});

/** A serving process's upload service, on the shared root and database. */
async function service(): Promise<{ uploads: UploadService; meta: SqlMetadataStore }> {
  const blobs = new FilesystemDriver(root);
  await blobs.init();
  const { meta } = await openSqliteStores(join(root, "meta.db"));
  closers.push(() => meta.close());
  return { uploads: new UploadService({ storage: blobs, meta, now: Date.now, deleteEnabled: true, log: createLogger("silent") }), meta };
}

function isBusy(err: unknown): boolean {
  assert.ok(err instanceof RegistryError, String(err));
  assert.equal(err.status, 416);
  assert.match(err.message, /another request is writing/);
  return true;
}

describe("upload session leases", () => {
  it("a lease held by a live request is not taken, even from the same process", async () => {
    const a = await service();
    const b = await service();
    const { id } = await a.uploads.start(REPO);
    let resume!: () => void;
    const gate = new Promise<void>((r) => (resume = r));
    let holding!: () => void;
    const held = new Promise<void>((r) => (holding = r));
    const first = randomBytes(1000);
    const slow = a.uploads.append(REPO, id, (async function* () {
      yield first;
      holding();
      await gate;
    })());
    await held;
    await assert.rejects(b.uploads.append(REPO, id, bodyOf(randomBytes(10))), isBusy);
    resume();
    assert.equal((await slow).size, 1000);
    const second = randomBytes(500);
    assert.equal((await b.uploads.append(REPO, id, bodyOf(second))).size, 1500);
    assert.deepEqual(await b.uploads.complete(REPO, id, sha256(Buffer.concat([first, second])), undefined), {
      digest: sha256(Buffer.concat([first, second])),
      size: 1500,
    });
  });

  it("a lease this very service failed to release is taken back by it, and by nobody else", async () => {
    const a = await service();
    const b = await service();
    const { id } = await a.uploads.start(REPO);
    const release = a.meta.releaseUpload;
    a.meta.releaseUpload = async () => {
      throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    };
    const blob = randomBytes(2000);
    try {
      assert.equal((await a.uploads.append(REPO, id, bodyOf(blob.subarray(0, 1000)))).size, 1000, "the chunk stands");
    } finally {
      a.meta.releaseUpload = release;
    }
    assert.ok((await a.meta.getUpload(id))?.lease, "the lease was left behind");
    await assert.rejects(b.uploads.append(REPO, id, bodyOf(blob.subarray(1000))), isBusy);
    assert.equal((await a.uploads.append(REPO, id, bodyOf(blob.subarray(1000)))).size, 2000);
    assert.equal((await a.uploads.complete(REPO, id, sha256(blob), undefined)).digest, sha256(blob));
  });

  it("a holder that is a process of this machine is gone once it exits, or when its pid names a younger process", async () => {
    const holder = new LeaseHolder();
    const machine = holder.id.split("/")[0]!;
    const child = spawn("sleep", ["60"], { stdio: "ignore" });
    try {
      await once(child, "spawn");
      const stat = await readFile(`/proc/${child.pid}/stat`, "utf8");
      const started = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
      assert.equal(await holder.isGone(`${machine}/${child.pid}/${started}/x`), false, "alive");
      assert.equal(await holder.isGone(`${machine}/${child.pid}/${Number(started) - 1}/x`), true, "its pid, reused");
      child.kill("SIGKILL");
      await once(child, "exit");
      assert.equal(await holder.isGone(`${machine}/${child.pid}/${started}/x`), true, "exited");
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("a holder on another machine, or one not named, is not judged gone", async () => {
    const holder = new LeaseHolder();
    assert.equal(await holder.isGone(holder.id), true, "its own leftover");
    assert.equal(await holder.isGone(new LeaseHolder().id), false, "another live service of this process");
    assert.equal(await holder.isGone(`another-machine:1/${process.pid}/1/x`), false);
    assert.equal(await holder.isGone("garbage"), false);
  });
});

describe("a kept lease", () => {
  const lost = () => new Error("lost");
  const until = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("is renewed while the request runs, and lost once another holder has it", async () => {
    const renewals: number[] = [];
    let mine = true;
    const lease = new KeptLease(Date.now() + LEASE_MS, Date.now, async (to) => (renewals.push(to), mine), lost, 10);
    try {
      const deadline = Date.now() + 5000;
      while (renewals.length < 2 && Date.now() < deadline) await until(5);
      assert.ok(renewals.length >= 2 && !lease.lost, `${renewals.length} renewals`);
      assert.ok(renewals[0]! > Date.now() + LEASE_MS - 1000, "each renewal extends it by a lease's length");
      mine = false;
      while (!lease.lost && Date.now() < deadline) await until(5);
      assert.ok(lease.lost);
      assert.throws(() => lease.signal.throwIfAborted(), /lost/);
    } finally {
      lease.stop();
    }
  });

  it("outlasts a database that does not answer for a while, but not past its end", async () => {
    let now = 0;
    const lease = new KeptLease(LEASE_MS, () => now, () => Promise.reject(new Error("unreachable")), lost, 10);
    try {
      await until(50);
      assert.ok(!lease.lost, "still within its lease");
      now = LEASE_MS - 5;
      const deadline = Date.now() + 5000;
      while (!lease.lost && Date.now() < deadline) await until(5);
      assert.ok(lease.lost, "given up before it runs out");
    } finally {
      lease.stop();
    }
  });
});
