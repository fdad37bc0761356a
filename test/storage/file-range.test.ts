// The fast copy of a file range: what happens when the reader of a download goes away.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { FileRange } from "../../src/storage/drivers/file-range.js";

describe("FileRange", () => {
  let dir: string;
  let file: string;
  const data = randomBytes(6 * 1024 * 1024);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-range-"));
    file = join(dir, "blob");
    await writeFile(file, data);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("rejects and closes the file when the destination is destroyed midway", async () => {
    const handle = await open(file, "r");
    const range = new FileRange(handle, 0, data.length - 1);
    let received = 0;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        received += chunk.length;
        // Like a socket whose peer left: the write never completes, the stream closes.
        sink.destroy();
        done();
      },
    });
    await assert.rejects(range.copyTo(sink), { code: "ERR_STREAM_PREMATURE_CLOSE" });
    assert.ok(received > 0 && received < data.length);
    await new Promise((resolve) => range.once("close", resolve));
    await assert.rejects(handle.stat(), { code: "EBADF" }, "the file handle is closed");
  });

  it("rejects a destination that is already closed, and a file shorter than the range", async () => {
    const closed = new Writable({ write: (_c, _e, done) => done() });
    closed.destroy();
    await assert.rejects(new FileRange(await open(file, "r"), 0, 10).copyTo(closed), { code: "ERR_STREAM_PREMATURE_CLOSE" });
    const short = new FileRange(await open(file, "r"), 0, data.length + 99);
    const sink = new Writable({ write: (_c, _e, done) => done() });
    await assert.rejects(short.copyTo(sink), /ended 100 bytes early/);
  });
});
