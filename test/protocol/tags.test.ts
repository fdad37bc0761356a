// Listing tags (end-8a, end-8b): order, `n`, `last`, the Link header, and unknown repositories.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import {
  Api,
  expectClientError,
  expectError,
  expectStatus,
  lexical,
  makeImage,
  nextLink,
  pushBlobs,
  pushManifest,
  putManifest,
  type Reply,
} from "./support.js";

let registry: RunningRegistry;
let api: Api;

const REPO = "tags/listing";
// Lowercase, digits and `.`/`-`/`_`: byte order and case-insensitive order agree on these, so
// the expectation does not depend on how "lexical" is read. Numbers sort as text ("v10" < "v2").
const TAGS = ["latest", "v1", "v10", "v2", "v2.0", "v2-rc", "v2_x", "1.0", "1.10", "1.9", "alpha", "beta", "0", "z"];
const SORTED = lexical(TAGS);

interface TagList {
  name: string;
  tags: string[];
}

before(async () => {
  registry = await startRegistry();
  api = new Api(registry.url);
  const image = makeImage();
  await pushBlobs(api, REPO, image.blobs);
  for (const tag of TAGS) expectStatus(await putManifest(api, REPO, tag, image), 201, `tag ${tag}`);
});

after(async () => {
  await registry?.close();
});

function list(query: Record<string, string> = {}, name = REPO): Promise<Reply> {
  return api.get(`/v2/${name}/tags/list`, { query });
}

function tagsOf(reply: Reply, name = REPO): string[] {
  expectStatus(reply, 200);
  assert.match(reply.header("content-type") ?? "", /^application\/json/);
  const body = reply.json<TagList>();
  assert.equal(body.name, name);
  assert.ok(Array.isArray(body.tags), `"tags" should be an array: ${reply.text()}`);
  return body.tags;
}

describe("GET /v2/<name>/tags/list", () => {
  // spec: "If the list is not empty, the tags MUST be in lexical order"
  it("answers 200 with the repository name and every tag in lexical order", async () => {
    const reply = await list();
    assert.deepEqual(tagsOf(reply), SORTED);
    assert.equal(reply.header("link"), null);
  });

  it("answers 404 NAME_UNKNOWN for a repository that does not exist", async () => {
    expectError(await list({}, "tags/never-pushed"), 404, "NAME_UNKNOWN");
  });

  it("lists a repository that holds only untagged manifests with an empty list", async () => {
    const image = makeImage();
    await pushManifest(api, "tags/untagged", image);
    assert.deepEqual(tagsOf(await list({}, "tags/untagged"), "tags/untagged"), []);
  });
});

describe("GET /v2/<name>/tags/list?n=", () => {
  // spec: "Otherwise, the response MUST include <int> results." and "A Link header MAY be
  // included in the response when additional tags are available. If included, the Link header
  // MUST be set according to RFC5988 with the Relation Type rel="next"."
  it("returns the first n tags and a Link to the next page", async () => {
    const reply = await list({ n: "3" });
    assert.deepEqual(tagsOf(reply), SORTED.slice(0, 3));
    const next = nextLink(reply);
    assert.ok(next, "a Link header is expected while more tags remain");
    const url = new URL(next);
    assert.equal(url.pathname, `/v2/${REPO}/tags/list`);
    assert.equal(url.searchParams.get("n"), "3");
    assert.equal(url.searchParams.get("last"), SORTED[2]);
  });

  it("following Link headers visits every tag once, in order, and the last page has no Link", async () => {
    const seen: string[] = [];
    let target: string | null = api.resolve(`/v2/${REPO}/tags/list?n=4`);
    let pages = 0;
    while (target !== null) {
      const reply = await api.get(target);
      const page = tagsOf(reply);
      pages += 1;
      assert.ok(page.length <= 4);
      seen.push(...page);
      target = nextLink(reply);
      if (target !== null) assert.equal(page.length, 4, "only the last page may be short");
      assert.ok(pages <= TAGS.length, "pagination does not terminate");
    }
    assert.deepEqual(seen, SORTED);
    assert.equal(pages, Math.ceil(TAGS.length / 4));
  });

  it("gives no Link when the page ends exactly at the last tag", async () => {
    const reply = await list({ n: String(TAGS.length) });
    assert.deepEqual(tagsOf(reply), SORTED);
    assert.equal(reply.header("link"), null);
  });

  it("returns every tag and no Link when n exceeds the count", async () => {
    const reply = await list({ n: "1000" });
    assert.deepEqual(tagsOf(reply), SORTED);
    assert.equal(reply.header("link"), null);
  });

  // spec: "When n is zero, this endpoint MUST return an empty list, and MUST NOT include a Link header."
  it("n=0 returns an empty list and no Link", async () => {
    const reply = await list({ n: "0" });
    assert.deepEqual(tagsOf(reply), []);
    assert.equal(reply.header("link"), null);
  });

  it("an n that is not a non-negative integer is a 400", async () => {
    for (const n of ["-1", "abc", "1.5", "1e3", "0x10"]) {
      const reply = await list({ n });
      expectClientError(reply, `n=${n}`);
      assert.equal(reply.status, 400, `n=${n}`);
    }
  });
});

describe("GET /v2/<name>/tags/list?last=", () => {
  // spec: "A request of this sort will return up to <int> tags, beginning non-inclusively with <tagname>."
  it("continues after `last`, without it, honouring n", async () => {
    const last = SORTED[4]!;
    const reply = await list({ n: "3", last });
    assert.deepEqual(tagsOf(reply), SORTED.slice(5, 8));
  });

  // spec: "When using the last query parameter, the n parameter is OPTIONAL."
  it("without n returns every tag after `last`", async () => {
    const last = SORTED[9]!;
    assert.deepEqual(tagsOf(await list({ last })), SORTED.slice(10));
  });

  it("after the final tag returns an empty list and no Link", async () => {
    const reply = await list({ n: "5", last: SORTED[SORTED.length - 1]! });
    assert.deepEqual(tagsOf(reply), []);
    assert.equal(reply.header("link"), null);
  });
});

describe("tags over time", () => {
  it("a new tag appears in its place; a deleted tag disappears", async () => {
    const name = "tags/changing";
    const image = makeImage();
    await pushManifest(api, name, image, "b");
    await pushManifest(api, name, image, "d");
    assert.deepEqual(tagsOf(await list({}, name), name), ["b", "d"]);
    expectStatus(await putManifest(api, name, "c", image), 201);
    expectStatus(await putManifest(api, name, "a", image), 201);
    assert.deepEqual(tagsOf(await list({}, name), name), ["a", "b", "c", "d"]);
    expectStatus(await api.delete(`/v2/${name}/manifests/b`), 202);
    assert.deepEqual(tagsOf(await list({}, name), name), ["a", "c", "d"]);
  });

  it("many tags keep text order (v1, v10, v100, v11 ...)", async () => {
    const name = "tags/many";
    const image = makeImage();
    await pushBlobs(api, name, image.blobs);
    const tags = Array.from({ length: 120 }, (_, i) => `v${i}`);
    for (const tag of tags) expectStatus(await putManifest(api, name, tag, image), 201);
    assert.deepEqual(tagsOf(await list({}, name), name), lexical(tags));
  });
});
