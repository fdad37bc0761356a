// The resumable hash: the same digests as node:crypto however the bytes are split, a state that
// survives its process, and a damaged or foreign state refused rather than misread.
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { createHash, randomBytes, randomInt } from "node:crypto";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ResumableHash } from "../../src/content/resumable-hash.js";

const algorithms = ["sha256", "sha512"] as const;
const expected = (algorithm: string, data: Buffer) => `${algorithm}:${createHash(algorithm).update(data).digest("hex")}`;

describe("ResumableHash", () => {
  for (const algorithm of algorithms) {
    it(`${algorithm}: equals node:crypto over random splits, saved and restored between pieces`, () => {
      for (let round = 0; round < 20; round++) {
        const data = randomBytes(randomInt(0, 300_000));
        let hash = ResumableHash.create(algorithm);
        for (let at = 0; at < data.length; ) {
          const n = randomInt(1, 70_000);
          hash.update(data.subarray(at, at + n));
          at += n;
          if (randomInt(2) === 0) hash = ResumableHash.restore(algorithm, hash.state());
        }
        assert.equal(hash.digest(), expected(algorithm, data));
      }
    });

    it(`${algorithm}: digest() does not end the hash`, () => {
      const [a, b] = [randomBytes(1000), randomBytes(77)];
      const hash = ResumableHash.create(algorithm).update(a);
      assert.equal(hash.digest(), expected(algorithm, a));
      assert.equal(hash.update(b).digest(), expected(algorithm, Buffer.concat([a, b])));
      assert.equal(ResumableHash.create(algorithm).digest(), expected(algorithm, Buffer.alloc(0)));
    });
  }

  it("a state saved in one process continues in another", async () => {
    const first = randomBytes(123_457);
    const second = randomBytes(99_999);
    const state = ResumableHash.create("sha256").update(first).state();
    const child = fork(fileURLToPath(new URL("./resumable-hash-child.js", import.meta.url)), [], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    const answer = new Promise<{ digest: string; state: string }>((resolve, reject) => {
      child.once("message", (m) => resolve(m as { digest: string; state: string }));
      child.once("exit", (code) => reject(new Error(`child exited with ${code}`)));
    });
    child.send({ state: state.toString("base64"), data: second.toString("base64") });
    const reply = await answer;
    assert.equal(reply.digest, expected("sha256", Buffer.concat([first, second])));
    // And back: the child's state continues here.
    const third = randomBytes(5);
    const resumed = ResumableHash.restore("sha256", Buffer.from(reply.state, "base64")).update(third);
    assert.equal(resumed.digest(), expected("sha256", Buffer.concat([first, second, third])));
  });

  it("refuses a damaged state, one of another algorithm and one of another size", () => {
    const state = ResumableHash.create("sha256").update(randomBytes(100)).state();
    for (let i = 0; i < state.length; i++) {
      const damaged = Buffer.from(state);
      damaged[i]! ^= 0x01;
      assert.throws(() => ResumableHash.restore("sha256", damaged), { code: "ERR_HASH_STATE" }, `byte ${i} flipped`);
    }
    assert.throws(() => ResumableHash.restore("sha512", state), /another algorithm/);
    assert.throws(() => ResumableHash.restore("sha256", state.subarray(0, state.length - 1)), /another build/);
    assert.throws(() => ResumableHash.restore("sha256", Buffer.concat([state, Buffer.alloc(1)])), /another build/);
    assert.throws(() => ResumableHash.restore("sha256", Buffer.alloc(0)), /not a saved hash state/);
    assert.throws(() => ResumableHash.restore("sha256", randomBytes(132)), { code: "ERR_HASH_STATE" });
  });
});
