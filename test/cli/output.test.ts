// Table output for people, JSON output for scripts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultFormat, parseFormat, renderJson, renderTable } from "../../src/cli/output.js";

describe("CLI output", () => {
  it("is a table on a terminal and JSON otherwise, or as --output says", () => {
    assert.equal(defaultFormat(true), "table");
    assert.equal(defaultFormat(false), "json");
    assert.equal(defaultFormat(undefined), "json");
    assert.equal(parseFormat("json"), "json");
    assert.throws(() => parseFormat("yaml"), { message: "--output must be json or table, not yaml" });
  });

  it("prints the API's envelope as is in JSON", () => {
    const envelope = { data: [{ name: "dockerdev" }], next: "abc" };
    assert.deepEqual(JSON.parse(renderJson(envelope)), envelope);
  });

  it("lists rows under the chosen columns, in their order, skipping absent ones", () => {
    const rows = [
      { id: "u1", name: "dockerdev", description: "A Docker developer", createdAt: "2026-12-06T22:00:14.123Z", tenancy: "ourtenant" },
      { id: "u2", name: "dockeruser", description: "", createdAt: "2026-12-06T22:01:00.000Z", tenancy: "ourtenant" },
    ];
    assert.equal(
      renderTable(rows, ["name", "description", "createdAt", "missing"]),
      [
        "NAME        DESCRIPTION         CREATED AT",
        "dockerdev   A Docker developer  2026-12-06T22:00:14.123Z",
        "dockeruser                      2026-12-06T22:01:00.000Z",
        "",
      ].join("\n"),
    );
  });

  it("shows times as ISO-8601 UTC, null as -, lists joined, and (none) for an empty list", () => {
    const rows = [{ at: 1_796_594_414_123, actor: "ourtenant/dockeruser", detail: null, tags: ["0.0.1", "latest"] }];
    assert.equal(renderTable(rows, ["at", "actor", "detail", "tags"]), "AT                        ACTOR                 DETAIL  TAGS\n2026-12-06T22:00:14.123Z  ourtenant/dockeruser  -       0.0.1, latest\n");
    assert.equal(renderTable([], ["name"]), "(none)\n");
  });

  it("falls back to every scalar field when no chosen column is present", () => {
    assert.equal(renderTable([{ tag: "v1", digest: "sha256:ab", nested: { x: 1 } }], ["name"]), "TAG  DIGEST\nv1   sha256:ab\n");
  });

  it("prints one object as aligned field/value lines, nested objects flattened", () => {
    const created = { tenancy: { namespace: "acme", repositoryLimit: 500 }, token: "tok" };
    assert.equal(renderTable(created), "tenancy.namespace        acme\ntenancy.repositoryLimit  500\ntoken                    tok\n");
  });
});
