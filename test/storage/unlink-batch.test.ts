// The unlink addon on its own: every path gone, failures named, and its threads at the niceness
// asked for (what keeps a serving process's collection behind its requests).
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { unlinkAll } from "../../src/storage/drivers/unlink-batch.js";

const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "berth-unlink-"));
  roots.push(root);
  return root;
}

it("unlinkAll: removes every file, an absent one is no failure, and other failures are counted", async () => {
  const root = await scratch();
  const files = Array.from({ length: 300 }, (_, i) => join(root, `f${i}`));
  for (const file of files) await writeFile(file, "x");
  await unlinkAll([...files, join(root, "never-there")], { threads: 8, nice: 0 });
  assert.deepEqual(await readdir(root), []);

  await mkdir(join(root, "d1"));
  await mkdir(join(root, "d2"));
  await writeFile(join(root, "kept-going"), "x");
  await assert.rejects(unlinkAll([join(root, "d1"), join(root, "kept-going"), join(root, "d2")], { threads: 1, nice: 0 }), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, "EISDIR");
    assert.equal(err.message, `EISDIR: could not unlink ${join(root, "d1")} (and 1 more)`);
    return true;
  });
  assert.deepEqual((await readdir(root)).sort(), ["d1", "d2"], "a failure does not stop the others");
});

it("unlinkAll: its threads run at the niceness asked for, and the caller's stays as it was", { skip: process.platform !== "linux" && "per-thread niceness is Linux's" }, async () => {
  const root = await scratch();
  const caller = getPriority();
  const asked = Math.max(7, caller);
  // Absent paths cost a lookup each: enough of them keep the threads alive while they are watched.
  const paths = Array.from({ length: 200_000 }, (_, i) => join(root, `absent-${i}`));
  const seen = new Set<number>();
  let running = true;
  const work = unlinkAll(paths, { threads: 2, nice: 7 }).finally(() => (running = false));
  while (running) {
    for (const nice of await threadNiceness()) seen.add(nice);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await work;
  assert.ok(seen.has(asked), `a thread at niceness ${asked} among ${[...seen].join(", ")}`);
  assert.equal(getPriority(), caller);
});

/** The niceness of each thread of this process (field 19 of /proc/self/task/<tid>/stat). */
async function threadNiceness(): Promise<number[]> {
  const found: number[] = [];
  for (const tid of await readdir("/proc/self/task")) {
    try {
      found.push(niceOf(await readFile(`/proc/self/task/${tid}/stat`, "utf8")));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return found;
}

/** Fields after the command's closing parenthesis start at field 3. */
const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19 - 3]);
