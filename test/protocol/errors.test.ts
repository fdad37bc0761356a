// The error envelope and the promise that bad input is a client error: every refusal below must
// be a 4xx carrying {"errors":[{"code","message","detail"}]}, and nothing a client sends may
// produce a 5xx.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import {
  Api,
  MediaTypes,
  SPEC_ERROR_CODES,
  absentDigest,
  errorsOf,
  expectClientError,
  expectError,
  expectStatus,
  makeImage,
  pushManifest,
  randomBytes,
  rawRequest,
  sha256,
  startUpload,
  type Reply,
} from "./support.js";

let registry: RunningRegistry;
let api: Api;

const REPO = "errors/repo";
let imageDigest = "";

before(async () => {
  registry = await startRegistry();
  api = new Api(registry.url);
  const image = makeImage();
  await pushManifest(api, REPO, image, "latest");
  imageDigest = image.digest;
});

after(async () => {
  await registry?.close();
});

describe("the error envelope", () => {
  // spec: "If the response body is in JSON format, it MUST have the following format: {"errors":
  // [{"code": ..., "message": ..., "detail": ...}]}" and "The code field MUST be one of the
  // following". Berth always answers errors in JSON.
  const cases: Array<[string, () => Promise<Reply>, number, string]> = [
    ["unknown blob", () => api.get(`/v2/${REPO}/blobs/${absentDigest()}`), 404, "BLOB_UNKNOWN"],
    ["unknown manifest", () => api.get(`/v2/${REPO}/manifests/nope`), 404, "MANIFEST_UNKNOWN"],
    ["unknown repository", () => api.get("/v2/errors/none/tags/list"), 404, "NAME_UNKNOWN"],
    ["unknown upload", () => api.get(`/v2/${REPO}/blobs/uploads/00000000-0000-4000-8000-000000000000`), 404, "BLOB_UPLOAD_UNKNOWN"],
    ["invalid name", () => api.get("/v2/Errors/tags/list"), 400, "NAME_INVALID"],
    ["malformed digest", () => api.get(`/v2/${REPO}/blobs/sha256:zz`), 400, "DIGEST_INVALID"],
    [
      "invalid manifest",
      () => api.put(`/v2/${REPO}/manifests/x`, { headers: { "Content-Type": MediaTypes.OciManifest }, body: "{" }),
      400,
      "MANIFEST_INVALID",
    ],
    [
      "invalid tag",
      () => api.put(`/v2/${REPO}/manifests/-x`, { headers: { "Content-Type": MediaTypes.OciManifest }, body: "{}" }),
      400,
      "TAG_INVALID",
    ],
  ];
  for (const [what, send, status, code] of cases) {
    it(`${what}: HTTP ${status} ${code} with a spec-shaped JSON body`, async () => {
      const reply = await send();
      const error = expectError(reply, status, code);
      assert.ok(SPEC_ERROR_CODES.has(error.code));
      assert.equal(typeof error.message, "string", "Berth always says what went wrong");
    });
  }

  it("the detail field, when present, is JSON data", async () => {
    const reply = await api.get(`/v2/${REPO}/blobs/${absentDigest()}`);
    const [error] = errorsOf(reply);
    if (error!.detail !== undefined) assert.notEqual(typeof error!.detail, "function");
  });
});

describe("bad input is never a server error", () => {
  function noServerError(reply: Reply, what: string): void {
    assert.ok(reply.status < 500, `${what}: got ${reply.status}: ${reply.text().slice(0, 300)}`);
  }

  it("odd paths", async () => {
    const paths = [
      "/v2/%",
      "/v2/%zz/tags/list",
      "/v2/a%00b/tags/list",
      `/v2/${REPO}/manifests/%00`,
      `/v2/${REPO}/manifests/%ff%fe`,
      `/v2/${REPO}/blobs/%`,
      `/v2/${"a/".repeat(2000)}tags/list`,
      `/v2/${REPO}/manifests/${"x".repeat(5000)}`,
      `/v2/${REPO}/blobs/sha256:${"a".repeat(5000)}`,
      "/v2/_catalog/extra",
      "/v2/tags/list",
      "/v2/blobs/uploads/",
      `/v2/${REPO}/blobs/uploads/`,
      `/v2/${REPO}/referrers/`,
      `/v2/${REPO}/manifests/`,
      `/v2/${REPO}/blobs/`,
      "/v2/a\\b/tags/list",
      "//v2/",
      "/v2/?",
      "/v2/#frag",
    ];
    for (const path of paths) {
      for (const method of ["GET", "HEAD", "DELETE", "PUT", "POST", "PATCH"]) {
        const reply = await rawRequest(registry.url, method, path);
        noServerError(reply, `${method} ${path.slice(0, 80)}`);
      }
    }
  });

  it("odd query strings", async () => {
    const targets = [
      `/v2/${REPO}/tags/list?n=99999999999999999999999`,
      `/v2/${REPO}/tags/list?n=1&n=2`,
      `/v2/${REPO}/tags/list?last=%ff`,
      `/v2/${REPO}/tags/list?last=${"z".repeat(3000)}`,
      "/v2/_catalog?n=-5",
      "/v2/_catalog?last=..%2F..",
      `/v2/${REPO}/referrers/${imageDigest}?artifactType=`,
      `/v2/${REPO}/referrers/${imageDigest}?artifactType=%zz`,
      `/v2/${REPO}/referrers/${imageDigest}?artifactType=a&artifactType=b`,
    ];
    for (const target of targets) noServerError(await rawRequest(registry.url, "GET", target), `GET ${target.slice(0, 80)}`);
    const posts = [
      `/v2/${REPO}/blobs/uploads/?digest=`,
      `/v2/${REPO}/blobs/uploads/?digest=sha256:zz`,
      `/v2/${REPO}/blobs/uploads/?mount=`,
      `/v2/${REPO}/blobs/uploads/?mount=${sha256("x")}&from=`,
      `/v2/${REPO}/blobs/uploads/?mount=${sha256("x")}&from=%2e%2e`,
      `/v2/${REPO}/blobs/uploads/?mount=${sha256("x")}&mount=${sha256("y")}`,
    ];
    for (const target of posts) noServerError(await rawRequest(registry.url, "POST", target), `POST ${target.slice(0, 80)}`);
  });

  it("odd headers on uploads", async () => {
    const headerSets: Array<Record<string, string>> = [
      { "Content-Range": "99999999999999999999-99999999999999999999" },
      { "Content-Range": "0-18446744073709551615" },
      { "Content-Range": "" },
      { "Content-Range": "0-0-0" },
      { "Content-Type": "" },
      { "Content-Type": "text/plain; charset=%%%" },
    ];
    for (const headers of headerSets) {
      const location = await startUpload(api, REPO);
      const reply = await api.patch(location, { headers, body: randomBytes(4) });
      noServerError(reply, `PATCH with ${JSON.stringify(headers)}`);
    }
  });

  it("odd manifest bodies and content types", async () => {
    const bodies: Array<[string, string | Buffer]> = [
      [MediaTypes.OciManifest, "null"],
      [MediaTypes.OciManifest, "[]"],
      [MediaTypes.OciManifest, "1e999"],
      [MediaTypes.OciManifest, '{"schemaVersion": 2, "config": null, "layers": null}'],
      [MediaTypes.OciManifest, '{"schemaVersion": 2, "config": {"digest": 5}, "layers": [null]}'],
      [MediaTypes.OciManifest, '{"schemaVersion": 2, "__proto__": {"polluted": true}, "constructor": {"prototype": {}}}'],
      [MediaTypes.OciManifest, `{"a": ${"[".repeat(10000)}${"]".repeat(10000)}}`],
      [MediaTypes.OciIndex, '{"schemaVersion": 2, "manifests": [{"digest": "sha256:x", "size": "big"}]}'],
      [MediaTypes.OciIndex, `{"schemaVersion": 2, "manifests": [], "subject": {"digest": "${sha256("s")}"}}`],
      [MediaTypes.OciManifest, randomBytes(2048)],
      ["application/json", "{}"],
      ["text/plain", "hello"],
      ["", "{}"],
      ["application/vnd.example.unknown+json", "{}"],
      [MediaTypes.DockerSchema1Signed, "{}"],
    ];
    for (const [type, body] of bodies) {
      const headers: Record<string, string> = type === "" ? {} : { "Content-Type": type };
      const reply = await api.put(`/v2/${REPO}/manifests/odd`, { headers, body });
      noServerError(reply, `PUT manifest ${type} ${String(body).slice(0, 40)}`);
      expectClientError(reply, `PUT manifest ${type || "(no type)"} ${String(body).slice(0, 40)}`);
    }
  });

  // spec: "A registry that enforces this limit SHOULD respond to a request to push a manifest
  // over this limit with a response code 413 Payload Too Large."
  it("a manifest body over any sane limit is refused, not a crash", async () => {
    const huge = Buffer.alloc(64 * 1024 * 1024, 0x20);
    let reply: Reply | undefined;
    try {
      reply = await api.put(`/v2/${REPO}/manifests/huge`, { headers: { "Content-Type": MediaTypes.OciManifest }, body: huge });
    } catch {
      // A registry may answer 413 and close the connection before reading the whole body; the
      // client then sees the connection drop. That is a refusal too, provided the server lives.
    }
    if (reply !== undefined) {
      noServerError(reply, "PUT 64 MiB manifest");
      expectClientError(reply, "PUT 64 MiB manifest");
    }
    expectStatus(await api.get("/v2/"), 200);
  });

  it("the registry still works afterwards", async () => {
    const reply = await api.get(`/v2/${REPO}/manifests/latest`);
    expectStatus(reply, 200);
    assert.equal(reply.header("docker-content-digest"), imageDigest);
  });
});
