import assert from "node:assert/strict";
import { it } from "node:test";
import { ReadCache } from "../../src/metadata/read-cache.js";

it("read cache: remembers a loaded value per version, never without one, never an absent one", async () => {
  const cache = new ReadCache<string>(1024, (v) => v.length);
  let loads = 0;
  const load = (value: string | undefined) => async () => {
    loads++;
    return value;
  };
  assert.equal(await cache.remember("k", "v1", load("a")), "a");
  assert.equal(await cache.remember("k", "v1", load("b")), "a", "same version: from memory");
  assert.equal(loads, 1);
  assert.equal(await cache.remember("k", "v2", load("b")), "b", "the database moved: loaded again");
  assert.equal(await cache.remember("k", undefined, load("c")), "c", "no version: always loaded");
  assert.equal(await cache.remember("k", undefined, load("d")), "d");
  assert.equal(await cache.remember("gone", "v2", load(undefined)), undefined);
  assert.equal(await cache.remember("gone", "v2", load("e")), "e", "an absent value is not kept");
  assert.equal(loads, 6);
});
