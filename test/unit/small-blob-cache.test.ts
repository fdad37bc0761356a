import assert from "node:assert/strict";
import { it } from "node:test";
import { SmallBlobCache } from "../../src/registry/small-blob-cache.js";

it("small-blob cache: bounded by bytes, evicts the least recently used", () => {
  const cache = new SmallBlobCache(10);
  cache.set("a", Buffer.alloc(4));
  cache.set("b", Buffer.alloc(4));
  assert.ok(cache.get("a"), "a is now the most recently used");
  cache.set("c", Buffer.alloc(4));
  assert.equal(cache.get("b"), undefined, "b was the oldest");
  assert.ok(cache.get("a"));
  assert.ok(cache.get("c"));
  cache.set("huge", Buffer.alloc(11));
  assert.equal(cache.get("huge"), undefined, "larger than the whole cache: not kept");
});
