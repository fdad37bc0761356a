// Listing repositories: GET /v2/_catalog with `n`, `last` and Link pagination. The catalog is not
// part of the OCI spec; it follows the Docker registry API, which the spec grew out of, and the
// same pagination rules as tag listing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { Api, expectStatus, lexical, makeImage, nextLink, pushManifest, type Reply } from "./support.js";

let registry: RunningRegistry;
let api: Api;

const REPOS = ["alpha", "beta/one", "beta/two", "beta/two/three", "gamma-ray", "a/b/c/d/e", "zulu", "m.n_o", "blobs/manifests"];
const SORTED = lexical(REPOS);

before(async () => {
  registry = await startRegistry();
  api = new Api(registry.url);
  for (const name of REPOS) await pushManifest(api, name, makeImage(), "latest");
});

after(async () => {
  await registry?.close();
});

function repositoriesOf(reply: Reply): string[] {
  expectStatus(reply, 200);
  assert.match(reply.header("content-type") ?? "", /^application\/json/);
  const body = reply.json<{ repositories: string[] }>();
  assert.ok(Array.isArray(body.repositories), `"repositories" should be an array: ${reply.text()}`);
  return body.repositories;
}

describe("GET /v2/_catalog", () => {
  it("lists every repository in lexical order", async () => {
    const reply = await api.get("/v2/_catalog");
    assert.deepEqual(repositoriesOf(reply), SORTED);
    assert.equal(reply.header("link"), null);
  });

  it("?n= limits the page and links to the next one", async () => {
    const reply = await api.get("/v2/_catalog", { query: { n: "2" } });
    assert.deepEqual(repositoriesOf(reply), SORTED.slice(0, 2));
    const next = nextLink(reply);
    assert.ok(next, "a Link header is expected while more repositories remain");
    const url = new URL(next);
    assert.equal(url.pathname, "/v2/_catalog");
    assert.equal(url.searchParams.get("n"), "2");
    assert.equal(url.searchParams.get("last"), SORTED[1]);
  });

  it("following Link headers visits every repository once, in order", async () => {
    const seen: string[] = [];
    let target: string | null = api.resolve("/v2/_catalog?n=2");
    let pages = 0;
    while (target !== null) {
      const reply = await api.get(target);
      const page = repositoriesOf(reply);
      seen.push(...page);
      pages += 1;
      target = nextLink(reply);
      if (target !== null) assert.equal(page.length, 2, "only the last page may be short");
      assert.ok(pages <= REPOS.length, "pagination does not terminate");
    }
    assert.deepEqual(seen, SORTED);
  });

  it("?last= continues after the named repository", async () => {
    const reply = await api.get("/v2/_catalog", { query: { last: SORTED[3]!, n: "3" } });
    assert.deepEqual(repositoriesOf(reply), SORTED.slice(4, 7));
  });

  it("a page that reaches the end has no Link", async () => {
    const reply = await api.get("/v2/_catalog", { query: { n: String(REPOS.length) } });
    assert.deepEqual(repositoriesOf(reply), SORTED);
    assert.equal(reply.header("link"), null);
  });

  it("a new repository appears in its place", async () => {
    await pushManifest(api, "beta/one/extra", makeImage(), "x");
    const listed = repositoriesOf(await api.get("/v2/_catalog"));
    assert.deepEqual(listed, lexical([...REPOS, "beta/one/extra"]));
  });

  it("an n that is not a non-negative integer is a 400", async () => {
    for (const n of ["-1", "abc", "2.5"]) {
      expectStatus(await api.get("/v2/_catalog", { query: { n } }), 400, `n=${n}`);
    }
  });
});
