// Pushing blobs (end-4a, end-4b, end-5, end-6, end-13 and upload DELETE): sessions, monolithic
// and chunked uploads, streamed PATCHes, digest verification and session life-cycle.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import {
  Api,
  MediaTypes,
  absentDigest,
  expectClientError,
  expectError,
  expectHeader,
  expectStatus,
  pathOf,
  pushBlob,
  randomBytes,
  rawRequest,
  sha256,
  startUpload,
  type Reply,
} from "./support.js";

let registry: RunningRegistry;
let api: Api;

const REPO = "uploads/test";
const octet = { "Content-Type": MediaTypes.OctetStream };

before(async () => {
  registry = await startRegistry();
  api = new Api(registry.url);
});

after(async () => {
  await registry?.close();
});

function patchChunk(location: string, chunk: Buffer, start: number): Promise<Reply> {
  return api.patch(location, {
    headers: {
      ...octet,
      "Content-Range": `${start}-${start + chunk.length - 1}`,
      "Content-Length": String(chunk.length),
    },
    body: chunk,
  });
}

async function expectBlob(name: string, digest: string, content: Buffer): Promise<void> {
  const reply = await api.get(`/v2/${name}/blobs/${digest}`);
  expectStatus(reply, 200, `GET blob ${digest}`);
  assert.equal(reply.body.length, content.length);
  assert.ok(reply.body.equals(content), "stored bytes differ from the uploaded ones");
}

/** The path and query of a URL, with the repository part of the path replaced. */
function inOtherRepository(location: string, from: string, to: string): string {
  const url = new URL(location);
  assert.ok(url.pathname.startsWith(`/v2/${from}/blobs/uploads/`), `unexpected upload path ${url.pathname}`);
  url.pathname = url.pathname.replace(`/v2/${from}/`, `/v2/${to}/`);
  return url.toString();
}

describe("POST /v2/<name>/blobs/uploads/ (start a session)", () => {
  // spec: "Upon success, the response MUST have a code of 202 Accepted, and MUST include the
  // following header: Location: <location>. The <location> MUST contain a UUID representing a
  // unique session ID for the upload to follow."
  it("answers 202 with a Location that contains the Docker-Upload-UUID", async () => {
    const reply = await api.post(`/v2/${REPO}/blobs/uploads/`);
    expectStatus(reply, 202);
    const location = api.location(reply);
    const uuid = expectHeader(reply, "docker-upload-uuid", /\S/);
    assert.ok(location.includes(uuid), `Location ${location} should contain the session id ${uuid}`);
    assert.ok(pathOf(location).startsWith(`/v2/${REPO}/blobs/uploads/`), `Location path: ${pathOf(location)}`);
  });

  it("gives every session its own id", async () => {
    const a = await api.post(`/v2/${REPO}/blobs/uploads/`);
    const b = await api.post(`/v2/${REPO}/blobs/uploads/`);
    assert.notEqual(a.header("docker-upload-uuid"), b.header("docker-upload-uuid"));
    assert.notEqual(api.location(a), api.location(b));
  });

  // spec (chunked): "the post request MUST include the following header: Content-Length: 0"
  it("accepts an explicit Content-Length: 0", async () => {
    expectStatus(await api.post(`/v2/${REPO}/blobs/uploads/`, { headers: { "Content-Length": "0" } }), 202);
  });
});

describe("GET <location> (upload status, end-13)", () => {
  it("answers 204 with Location, Range and Docker-Upload-UUID for a fresh session", async () => {
    const post = await api.post(`/v2/${REPO}/blobs/uploads/`);
    const reply = await api.get(api.location(post));
    expectStatus(reply, 204);
    assert.ok(reply.header("location"), "status should carry a Location");
    expectHeader(reply, "range", /^0-\d+$/);
    assert.equal(reply.header("docker-upload-uuid"), post.header("docker-upload-uuid"));
  });

  // spec: "The response to an active upload <location> MUST be a 204 No Content response code,
  // and MUST have the following headers: Location: <location>, Range: 0-<end-of-range>"
  it("reports the offset after a chunk", async () => {
    const location = await startUpload(api, REPO);
    expectStatus(await patchChunk(location, randomBytes(100), 0), 202);
    const reply = await api.get(location);
    expectStatus(reply, 204);
    assert.equal(reply.header("range"), "0-99");
    assert.ok(reply.header("location"));
  });
});

describe("monolithic upload", () => {
  // spec: "Upon successful completion of the request, the response MUST have code 201 Created and
  // MUST have the following header: Location: <blob-location>"
  it("POST then PUT ?digest= with the whole blob answers 201, Location of the blob, Docker-Content-Digest", async () => {
    const content = randomBytes(2048);
    const digest = sha256(content);
    const location = await startUpload(api, REPO);
    const reply = await api.put(location, {
      query: { digest },
      headers: { ...octet, "Content-Length": String(content.length) },
      body: content,
    });
    expectStatus(reply, 201);
    assert.equal(reply.header("docker-content-digest"), digest);
    const blobLocation = api.location(reply);
    assert.equal(pathOf(blobLocation), `/v2/${REPO}/blobs/${digest}`);
    const fetched = await api.get(blobLocation);
    expectStatus(fetched, 200);
    assert.deepEqual(fetched.body, content);
  });

  // spec (single POST): "Successful completion of the request MUST return a 201 Created and MUST
  // include the following header: Location: <blob-location>"
  it("a single POST ?digest= with the blob answers 201 with the blob's Location", async () => {
    const content = randomBytes(777);
    const digest = sha256(content);
    const reply = await api.post(`/v2/${REPO}/blobs/uploads/`, {
      query: { digest },
      headers: { ...octet, "Content-Length": String(content.length) },
      body: content,
    });
    expectStatus(reply, 201);
    assert.equal(reply.header("docker-content-digest"), digest);
    assert.equal(pathOf(api.location(reply)), `/v2/${REPO}/blobs/${digest}`);
    await expectBlob(REPO, digest, content);
  });

  it("a single POST whose digest does not match the body answers 400 DIGEST_INVALID and stores nothing", async () => {
    const content = randomBytes(100);
    const wrong = absentDigest();
    const reply = await api.post(`/v2/${REPO}/blobs/uploads/`, {
      query: { digest: wrong },
      headers: octet,
      body: content,
    });
    expectError(reply, 400, "DIGEST_INVALID");
    expectStatus(await api.head(`/v2/${REPO}/blobs/${wrong}`), 404);
    expectStatus(await api.head(`/v2/${REPO}/blobs/${sha256(content)}`), 404);
  });

  it("uploading a blob that already exists succeeds again (201)", async () => {
    const content = randomBytes(64);
    const digest = await pushBlob(api, REPO, content);
    await pushBlob(api, REPO, content, digest);
    await expectBlob(REPO, digest, content);
  });
});

describe("chunked upload", () => {
  // spec: "Each successful chunk upload MUST have a 202 Accepted response code, and MUST have the
  // following headers: Location: <location>, Range: 0-<end-of-range>"
  it("PATCH chunks with Content-Range answer 202, Location and the growing Range; PUT closes with 201", async () => {
    const content = randomBytes(3000);
    const digest = sha256(content);
    let location = await startUpload(api, REPO, { "Content-Length": "0" });
    const cuts = [0, 1000, 2500, 3000];
    for (let i = 0; i < cuts.length - 1; i++) {
      const reply = await patchChunk(location, content.subarray(cuts[i]!, cuts[i + 1]!), cuts[i]!);
      expectStatus(reply, 202, `chunk ${i}`);
      assert.equal(reply.header("range"), `0-${cuts[i + 1]! - 1}`);
      // spec: "Each consecutive chunk upload SHOULD use the <location> provided in the response
      // to the previous chunk upload."
      location = api.location(reply);
    }
    const put = await api.put(location, { query: { digest }, headers: { ...octet, "Content-Length": "0" } });
    expectStatus(put, 201);
    assert.equal(put.header("docker-content-digest"), digest);
    assert.equal(pathOf(api.location(put)), `/v2/${REPO}/blobs/${digest}`);
    await expectBlob(REPO, digest, content);
  });

  // spec: "The final chunk MAY be uploaded using a PATCH request or it MAY be uploaded in the
  // closing PUT request."
  it("the final chunk may travel in the closing PUT", async () => {
    const content = randomBytes(1500);
    const digest = sha256(content);
    const location = await startUpload(api, REPO);
    const first = await patchChunk(location, content.subarray(0, 1000), 0);
    expectStatus(first, 202);
    const put = await api.put(api.location(first), {
      query: { digest },
      headers: { ...octet, "Content-Range": "1000-1499", "Content-Length": "500" },
      body: content.subarray(1000),
    });
    expectStatus(put, 201);
    await expectBlob(REPO, digest, content);
  });

  it("the closing PUT may carry the final chunk without Content-Range", async () => {
    const content = randomBytes(1200);
    const digest = sha256(content);
    const location = await startUpload(api, REPO);
    const first = await patchChunk(location, content.subarray(0, 700), 0);
    expectStatus(first, 202);
    const put = await api.put(api.location(first), { query: { digest }, headers: octet, body: content.subarray(700) });
    expectStatus(put, 201);
    await expectBlob(REPO, digest, content);
  });

  // spec: "If a chunk is uploaded out of order, the registry MUST respond with a 416 Requested
  // Range Not Satisfiable code."
  it("a chunk that skips ahead answers 416 with the current Range, and the session goes on", async () => {
    const content = randomBytes(300);
    const digest = sha256(content);
    const location = await startUpload(api, REPO);
    expectStatus(await patchChunk(location, content.subarray(0, 100), 0), 202);
    const skipped = await patchChunk(location, content.subarray(200), 200);
    expectStatus(skipped, 416);
    assert.equal(skipped.header("range"), "0-99");
    const status = await api.get(location);
    expectStatus(status, 204);
    assert.equal(status.header("range"), "0-99");
    expectStatus(await patchChunk(location, content.subarray(100), 100), 202);
    expectStatus(await api.put(location, { query: { digest } }), 201);
    await expectBlob(REPO, digest, content);
  });

  it("a chunk that overlaps what was received answers 416 with the current Range", async () => {
    const content = randomBytes(300);
    const location = await startUpload(api, REPO);
    expectStatus(await patchChunk(location, content.subarray(0, 100), 0), 202);
    const retried = await patchChunk(location, content.subarray(0, 100), 0);
    expectStatus(retried, 416);
    assert.equal(retried.header("range"), "0-99");
    const overlapping = await patchChunk(location, content.subarray(50, 150), 50);
    expectStatus(overlapping, 416);
    assert.equal(overlapping.header("range"), "0-99");
  });

  it("a first chunk that does not start at 0 answers 416", async () => {
    const location = await startUpload(api, REPO);
    expectStatus(await patchChunk(location, randomBytes(10), 5), 416);
  });

  it("keeps working through the POST's Location after chunks moved on (stale location)", async () => {
    const content = randomBytes(200);
    const digest = sha256(content);
    const location = await startUpload(api, REPO);
    expectStatus(await patchChunk(location, content.subarray(0, 120), 0), 202);
    const status = await api.get(location);
    expectStatus(status, 204);
    assert.equal(status.header("range"), "0-119");
    expectStatus(await patchChunk(location, content.subarray(120), 120), 202);
    expectStatus(await api.put(location, { query: { digest } }), 201);
    await expectBlob(REPO, digest, content);
  });

  // Two clients (or a client retrying too early) racing the same range must not both append.
  it("the same chunk sent twice at once is accepted at most once", async () => {
    const content = randomBytes(200_000);
    const digest = sha256(content);
    const location = await startUpload(api, REPO);
    const first = content.subarray(0, 100_000);
    const replies = await Promise.all([patchChunk(location, first, 0), patchChunk(location, first, 0), patchChunk(location, first, 0)]);
    const accepted = replies.filter((r) => r.status === 202).length;
    assert.ok(accepted >= 1, `one of the racing chunks should be accepted: ${replies.map((r) => r.status).join(",")}`);
    assert.equal(accepted, 1, `only one racing chunk may be appended: ${replies.map((r) => r.status).join(",")}`);
    for (const r of replies) if (r.status !== 202) expectStatus(r, 416, "the losing chunk");
    const status = await api.get(location);
    expectStatus(status, 204);
    assert.equal(status.header("range"), "0-99999");
    expectStatus(await patchChunk(location, content.subarray(100_000), 100_000), 202);
    expectStatus(await api.put(location, { query: { digest } }), 201);
    await expectBlob(REPO, digest, content);
  });

  it("a Content-Range that disagrees with the Content-Length answers 416 and the upload keeps its size", async () => {
    const location = await startUpload(api, REPO);
    expectStatus(await patchChunk(location, randomBytes(10), 0), 202);
    const reply = await api.patch(location, {
      headers: { ...octet, "Content-Range": "10-109", "Content-Length": "50" },
      body: randomBytes(50),
    });
    expectError(reply, 416, "BLOB_UPLOAD_INVALID");
    assert.equal((await api.get(location)).header("range"), "0-9");
  });

  // A chunked body's length is known only at its end: the bytes it wrote must be taken back, and
  // the running hash must not keep them (the blob's digest below proves it).
  describe("a chunked body longer or shorter than its Content-Range", () => {
    const streamed = (location: string, method: string, range: string, parts: Buffer[], query = "") => {
      const url = new URL(location);
      const sep = url.search ? "&" : "?";
      return rawRequest(registry.url, method, `${url.pathname}${url.search}${query ? sep + query : ""}`, {
        headers: { ...octet, "Content-Range": range },
        body: parts,
      });
    };

    for (const [what, length] of [
      ["longer", 20],
      ["shorter", 5],
    ] as const) {
      it(`a PATCH whose body is ${what} answers 416 with the previous Range, and the upload goes on from there`, async () => {
        const content = randomBytes(110);
        const location = await startUpload(api, REPO);
        expectStatus(await patchChunk(location, content.subarray(0, 100), 0), 202);
        const refused = await streamed(location, "PATCH", "100-109", [randomBytes(length - 2), randomBytes(2)]);
        const error = expectError(refused, 416, "BLOB_UPLOAD_INVALID");
        assert.match(String(error.message), new RegExp(`${what} than its Content-Range 100-109`));
        assert.equal(refused.header("range"), "0-99");
        assert.equal((await api.get(location)).header("range"), "0-99", "the upload kept its size");
        expectStatus(await patchChunk(location, content.subarray(100), 100), 202);
        expectStatus(await api.put(location, { query: { digest: sha256(content) } }), 201);
        await expectBlob(REPO, sha256(content), content);
      });
    }

    it("a first chunk of MiBs that runs past its range leaves the upload empty", async () => {
      const MiB = 1024 * 1024;
      const content = randomBytes(2 * MiB);
      const location = await startUpload(api, REPO);
      const parts = [content.subarray(0, MiB), content.subarray(MiB), randomBytes(MiB)];
      expectError(await streamed(location, "PATCH", `0-${2 * MiB - 1}`, parts), 416, "BLOB_UPLOAD_INVALID");
      assert.equal((await api.get(location)).header("range"), "0-0");
      expectStatus(await streamed(location, "PATCH", `0-${2 * MiB - 1}`, [content.subarray(0, MiB), content.subarray(MiB)]), 202);
      expectStatus(await api.put(location, { query: { digest: sha256(content) } }), 201);
      await expectBlob(REPO, sha256(content), content);
    });

    it("a closing PUT whose body disagrees with its Content-Range answers 416; the session still closes after", async () => {
      const content = randomBytes(300);
      const digest = sha256(content);
      const location = await startUpload(api, REPO);
      expectStatus(await patchChunk(location, content.subarray(0, 200), 0), 202);
      const refused = await streamed(location, "PUT", "200-299", [content.subarray(200), randomBytes(1)], `digest=${digest}`);
      expectError(refused, 416, "BLOB_UPLOAD_INVALID");
      assert.equal((await api.get(location)).header("range"), "0-199");
      expectStatus(await streamed(location, "PUT", "200-299", [content.subarray(200, 250), content.subarray(250)], `digest=${digest}`), 201);
      await expectBlob(REPO, digest, content);
    });
  });

  it("a malformed Content-Range is refused with a 4xx", async () => {
    for (const range of ["abc", "10-5", "-5", "0-", "0-4-9"]) {
      const location = await startUpload(api, REPO);
      const reply = await api.patch(location, { headers: { ...octet, "Content-Range": range }, body: randomBytes(5) });
      expectClientError(reply, `Content-Range "${range}"`);
    }
  });
});

describe("streamed upload (PATCH without Content-Range)", () => {
  it("a PATCH with the whole body answers 202 with Range, then PUT ?digest= answers 201", async () => {
    const content = randomBytes(42);
    const digest = sha256(content);
    const location = await startUpload(api, REPO);
    const reply = await api.patch(location, { headers: octet, body: content });
    expectStatus(reply, 202);
    assert.equal(reply.header("range"), `0-${content.length - 1}`);
    const put = await api.put(api.location(reply), { query: { digest }, headers: octet });
    expectStatus(put, 201);
    await expectBlob(REPO, digest, content);
  });

  it("chunked transfer-encoding without Content-Length is accepted and successive PATCHes append", async () => {
    const parts = [randomBytes(70_000), randomBytes(5), randomBytes(130_000)];
    const second = randomBytes(50_000);
    const content = Buffer.concat([...parts, second]);
    const digest = sha256(content);
    const location = await startUpload(api, REPO);
    const path = new URL(location);
    const first = await rawRequest(registry.url, "PATCH", path.pathname + path.search, { headers: octet, body: parts });
    expectStatus(first, 202, "streamed PATCH");
    const firstLength = parts.reduce((n, p) => n + p.length, 0);
    assert.equal(first.header("range"), `0-${firstLength - 1}`);
    const next = new URL(api.location(first));
    const appended = await rawRequest(registry.url, "PATCH", next.pathname + next.search, {
      headers: octet,
      body: [second.subarray(0, 20_000), second.subarray(20_000)],
    });
    expectStatus(appended, 202, "second streamed PATCH");
    assert.equal(appended.header("range"), `0-${content.length - 1}`);
    const put = await api.put(api.location(appended), { query: { digest } });
    expectStatus(put, 201);
    await expectBlob(REPO, digest, content);
  });

  it("a streamed PATCH can follow a Content-Range chunk", async () => {
    const content = randomBytes(400);
    const digest = sha256(content);
    const location = await startUpload(api, REPO);
    expectStatus(await patchChunk(location, content.subarray(0, 150), 0), 202);
    const streamed = await api.patch(location, { headers: octet, body: content.subarray(150) });
    expectStatus(streamed, 202);
    assert.equal(streamed.header("range"), "0-399");
    expectStatus(await api.put(location, { query: { digest } }), 201);
    await expectBlob(REPO, digest, content);
  });
});

describe("closing an upload with PUT", () => {
  it("a digest that does not match the uploaded bytes answers 400 DIGEST_INVALID and stores nothing", async () => {
    const content = randomBytes(256);
    const wrong = sha256(Buffer.concat([content, Buffer.from("x")]));
    const location = await startUpload(api, REPO);
    const reply = await api.put(location, { query: { digest: wrong }, headers: octet, body: content });
    expectError(reply, 400, "DIGEST_INVALID");
    expectStatus(await api.head(`/v2/${REPO}/blobs/${wrong}`), 404);
    expectStatus(await api.head(`/v2/${REPO}/blobs/${sha256(content)}`), 404);
  });

  it("a malformed digest answers 400 DIGEST_INVALID", async () => {
    const location = await startUpload(api, REPO);
    expectError(await api.put(location, { query: { digest: "sha256:nothex" }, body: randomBytes(3) }), 400, "DIGEST_INVALID");
  });

  // spec: "The closing PUT request MUST include the <digest> of the whole blob"
  it("a PUT without ?digest= is refused with 400", async () => {
    const location = await startUpload(api, REPO);
    const reply = await api.put(location, { headers: octet, body: randomBytes(3) });
    expectError(reply, 400, ["DIGEST_INVALID", "BLOB_UPLOAD_INVALID"]);
  });

  it("a completed session is gone: its status answers 404 BLOB_UPLOAD_UNKNOWN", async () => {
    const content = randomBytes(10);
    const location = await startUpload(api, REPO);
    expectStatus(await api.put(location, { query: { digest: sha256(content) }, body: content }), 201);
    expectError(await api.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    expectError(await patchChunk(location, randomBytes(5), 10), 404, "BLOB_UPLOAD_UNKNOWN");
  });

  it("an empty upload closes into the empty blob", async () => {
    const empty = Buffer.alloc(0);
    const digest = sha256(empty);
    const location = await startUpload(api, REPO);
    expectStatus(await api.put(location, { query: { digest }, headers: { "Content-Length": "0" } }), 201);
    await expectBlob(REPO, digest, empty);
  });

  it("concurrent uploads of the same content both succeed", async () => {
    const content = randomBytes(500_000);
    const digest = sha256(content);
    const [a, b] = await Promise.all([startUpload(api, REPO), startUpload(api, REPO)]);
    const [ra, rb] = await Promise.all([
      api.put(a, { query: { digest }, headers: octet, body: content }),
      api.put(b, { query: { digest }, headers: octet, body: content }),
    ]);
    expectStatus(ra, 201);
    expectStatus(rb, 201);
    await expectBlob(REPO, digest, content);
  });
});

describe("DELETE <location> (cancel an upload)", () => {
  it("answers 204, after which the session answers 404 BLOB_UPLOAD_UNKNOWN", async () => {
    const location = await startUpload(api, REPO);
    expectStatus(await patchChunk(location, randomBytes(20), 0), 202);
    expectStatus(await api.delete(location), 204);
    expectError(await api.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    expectError(await patchChunk(location, randomBytes(5), 20), 404, "BLOB_UPLOAD_UNKNOWN");
    expectError(await api.put(location, { query: { digest: absentDigest() } }), 404, "BLOB_UPLOAD_UNKNOWN");
    expectError(await api.delete(location), 404, "BLOB_UPLOAD_UNKNOWN");
  });
});

describe("unknown sessions", () => {
  it("GET, PATCH, PUT and DELETE on an id that was never issued answer 404 BLOB_UPLOAD_UNKNOWN", async () => {
    const location = `/v2/${REPO}/blobs/uploads/${randomUUID()}`;
    expectError(await api.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    expectError(await patchChunk(api.resolve(location), randomBytes(5), 0), 404, "BLOB_UPLOAD_UNKNOWN");
    expectError(await api.put(location, { query: { digest: absentDigest() }, body: "x" }), 404, "BLOB_UPLOAD_UNKNOWN");
    expectError(await api.delete(location), 404, "BLOB_UPLOAD_UNKNOWN");
  });

  it("a session belongs to its repository: another repository's path does not reach it", async () => {
    await pushBlob(api, "uploads/other", randomBytes(8));
    const content = randomBytes(30);
    const location = await startUpload(api, REPO);
    expectStatus(await patchChunk(location, content, 0), 202);
    const foreign = inOtherRepository(location, REPO, "uploads/other");
    expectError(await api.get(foreign), 404, "BLOB_UPLOAD_UNKNOWN");
    expectError(await api.put(foreign, { query: { digest: sha256(content) } }), 404, "BLOB_UPLOAD_UNKNOWN");
    expectError(await api.delete(foreign), 404, "BLOB_UPLOAD_UNKNOWN");
    expectStatus(await api.head(`/v2/uploads/other/blobs/${sha256(content)}`), 404);
    // the session itself is untouched
    const status = await api.get(location);
    expectStatus(status, 204);
    assert.equal(status.header("range"), `0-${content.length - 1}`);
  });

  it("a session id that is not a plausible id is refused with a 4xx", async () => {
    for (const id of ["not-a-uuid", "..", "%2e%2e", "a.b", "x".repeat(300)]) {
      expectClientError(await rawRequest(registry.url, "GET", `/v2/${REPO}/blobs/uploads/${id}`), `GET uploads/${id}`);
    }
  });
});
