// The API version check (end-1) and what the server answers outside the API.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunningRegistry } from "../helpers/registry.js";
import {
  Api,
  SPEC_ERROR_CODES,
  errorsOf,
  expectClientError,
  expectStatus,
  makeImage,
  putManifest,
  rawRequest,
  startUpload,
  type Reply,
  registryPerFile,
} from "./support.js";

let registry: RunningRegistry;
let api: Api;
registryPerFile((started) => ({ registry, api } = started));

describe("GET /v2/", () => {
  // spec: "If the response is `200 OK`, then the registry implements this specification."
  it("answers 200 with Docker-Distribution-API-Version: registry/2.0", async () => {
    const reply = await api.get("/v2/");
    expectStatus(reply, 200);
    assert.equal(reply.header("docker-distribution-api-version"), "registry/2.0");
  });

  // RFC 9110: a server that supports GET on a resource supports HEAD on it.
  it("answers HEAD the same way, without a body", async () => {
    const reply = await api.head("/v2/");
    expectStatus(reply, 200);
    assert.equal(reply.header("docker-distribution-api-version"), "registry/2.0");
    assert.equal(reply.body.length, 0);
  });
});

describe("Warning headers", () => {
  // spec: "If included, Warning headers MUST specify a warn-code of 299 and a warn-agent of -, and
  // MUST NOT specify a warn-date value." and "A registry MUST NOT send more than 4096 bytes of
  // warning data from all headers combined."
  it("any Warning header over a push and pull is `299 - \"text\"` and under 4096 bytes in total", async () => {
    const image = makeImage();
    const replies: Reply[] = [await api.get("/v2/")];
    const start = await api.post("/v2/base/warnings/blobs/uploads/");
    replies.push(start);
    for (const blob of image.blobs) {
      const location = await startUpload(api, "base/warnings");
      replies.push(await api.put(location, { query: { digest: blob.digest }, body: blob.data }));
    }
    replies.push(await putManifest(api, "base/warnings", "latest", image));
    replies.push(await api.get("/v2/base/warnings/manifests/latest"));
    replies.push(await api.get(`/v2/base/warnings/blobs/${image.blobs[0]!.digest}`));
    replies.push(await api.get("/v2/base/warnings/tags/list"));
    replies.push(await api.get("/v2/base/warnings/manifests/missing"));
    for (const reply of replies) {
      const warning = reply.header("warning");
      if (warning === null) continue;
      assert.ok(Buffer.byteLength(warning) <= 4096, `${reply.url}: ${Buffer.byteLength(warning)} bytes of warnings`);
      // Headers joins repeated fields with ", "; split only between complete warnings.
      for (const value of warning.split(/(?<=")\s*,\s*(?=299 )/)) {
        assert.match(value, /^299 - "(?:[^"\\]|\\.)*"$/, `${reply.url}: malformed Warning ${value}`);
      }
    }
  });
});

describe("outside the API", () => {
  it("an unknown path under /v2/ is a 404 with an OCI error body", async () => {
    const reply = await api.get("/v2/some/repo/not-an-endpoint");
    expectStatus(reply, 404);
    const errors = errorsOf(reply);
    assert.ok(SPEC_ERROR_CODES.has(errors[0]!.code), `unexpected code ${errors[0]!.code}`);
  });

  it("a path outside /v2/ is a client error, not a crash", async () => {
    for (const path of ["/", "/v1/", "/v3/", "/favicon.ico", "/v2x/"]) {
      expectClientError(await rawRequest(registry.url, "GET", path), `GET ${path}`);
    }
  });

  it("a method the endpoint does not have is a client error", async () => {
    expectClientError(await api.request("PATCH", "/v2/"), "PATCH /v2/");
    expectClientError(await api.request("POST", "/v2/some/repo/tags/list"), "POST tags/list");
    expectClientError(await api.request("DELETE", "/v2/some/repo/tags/list"), "DELETE tags/list");
    expectClientError(await api.request("PUT", "/v2/some/repo/referrers/sha256:" + "0".repeat(64)), "PUT referrers");
  });
});
