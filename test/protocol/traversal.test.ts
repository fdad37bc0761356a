// Path traversal: names, references, digests and upload ids come from the URL and end up as
// storage keys. Whatever a client puts there (`..`, `%2e%2e`, encoded slashes, backslashes, NUL),
// the answer is a 4xx and nothing outside the data directory is read or written.
//
// The registry runs with its data directory inside a scratch directory that also holds a canary
// file; afterwards the scratch directory must contain only the data directory and the canary, the
// canary must be unchanged, and no response may have leaked its content.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import {
  Api,
  MediaTypes,
  expectClientError,
  expectStatus,
  makeImage,
  pushBlob,
  pushManifest,
  randomBytes,
  rawRequest,
  sha256,
  startUpload,
  suffix,
  type Reply,
} from "./support.js";

const TOKEN = `berthescape${suffix()}`;
const CANARY = `canary ${TOKEN} ${randomBytes(16).toString("hex")}`;

let scratch: string;
let registry: RunningRegistry;
let api: Api;
let tmpBefore: Set<string>;
const REPO = "traversal/app";
let blobDigest = "";

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "berth-traversal-"));
  await writeFile(join(scratch, "canary.txt"), CANARY);
  tmpBefore = new Set(await readdir(tmpdir()));
  registry = await startRegistry({ root: join(scratch, "data") });
  api = new Api(registry.url);
  blobDigest = await pushBlob(api, REPO, randomBytes(100));
  await pushManifest(api, REPO, makeImage(), "latest");
});

after(async () => {
  await registry?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function refused(reply: Reply, what: string): void {
  expectClientError(reply, what);
  assert.ok(!reply.body.includes(CANARY), `${what}: the response leaked the canary`);
}

const octet = { "Content-Type": MediaTypes.OctetStream };

describe("traversal in repository names", () => {
  const names = [
    "..",
    "../..",
    `../../${TOKEN}`,
    `a/../../${TOKEN}`,
    `%2e%2e/%2e%2e/${TOKEN}`,
    `%2E%2E/${TOKEN}`,
    `a/%2e%2e/%2e%2e/%2e%2e/${TOKEN}`,
    `a%2f..%2f..%2f${TOKEN}`,
    `a%2F%2E%2E%2F%2E%2E%2F${TOKEN}`,
    `..%2f..%2f${TOKEN}`,
    `..%5c..%5c${TOKEN}`,
    `a\\..\\..\\${TOKEN}`,
    `%252e%252e/${TOKEN}`,
    `a%00/${TOKEN}`,
    `.%2e/${TOKEN}`,
    `/${TOKEN}`,
  ];

  it("reads are refused with a 4xx", async () => {
    for (const name of names) {
      refused(await rawRequest(registry.url, "GET", `/v2/${name}/tags/list`), `GET /v2/${name}/tags/list`);
      refused(await rawRequest(registry.url, "GET", `/v2/${name}/manifests/latest`), `GET manifest in ${name}`);
      refused(await rawRequest(registry.url, "GET", `/v2/${name}/blobs/${blobDigest}`), `GET blob in ${name}`);
      refused(await rawRequest(registry.url, "GET", `/v2/${name}/referrers/${blobDigest}`), `GET referrers in ${name}`);
    }
  });

  it("writes are refused with a 4xx", async () => {
    const image = makeImage();
    for (const name of names) {
      refused(await rawRequest(registry.url, "POST", `/v2/${name}/blobs/uploads/`), `POST upload in ${name}`);
      const content = randomBytes(20);
      refused(
        await rawRequest(registry.url, "POST", `/v2/${name}/blobs/uploads/?digest=${sha256(content)}`, { headers: octet, body: content }),
        `single-POST upload in ${name}`,
      );
      refused(
        await rawRequest(registry.url, "PUT", `/v2/${name}/manifests/latest`, {
          headers: { "Content-Type": image.mediaType },
          body: image.bytes,
        }),
        `PUT manifest in ${name}`,
      );
      refused(await rawRequest(registry.url, "DELETE", `/v2/${name}/manifests/latest`), `DELETE manifest in ${name}`);
      refused(await rawRequest(registry.url, "DELETE", `/v2/${name}/blobs/${blobDigest}`), `DELETE blob in ${name}`);
    }
  });

  // An encoded slash is not a path separator, and dot segments are not resolved: neither
  // `traversal%2Fapp` nor `traversal/x/../app` may reach repository traversal/app.
  it("encoded slashes and dot segments do not reach a real repository", async () => {
    const aliases = [
      REPO.replace("/", "%2F"),
      REPO.replace("/", "%2f"),
      "traversal/x/../app",
      "traversal/./app",
      "traversal/app/x/..",
      "traversal/x/%2e%2e/app",
      "traversal/app/.",
    ];
    for (const alias of aliases) {
      refused(await rawRequest(registry.url, "GET", `/v2/${alias}/tags/list`), `GET /v2/${alias}/tags/list`);
      refused(await rawRequest(registry.url, "GET", `/v2/${alias}/manifests/latest`), `GET manifest via ${alias}`);
      refused(await rawRequest(registry.url, "GET", `/v2/${alias}/blobs/${blobDigest}`), `GET blob via ${alias}`);
      refused(await rawRequest(registry.url, "DELETE", `/v2/${alias}/manifests/latest`), `DELETE via ${alias}`);
    }
    expectStatus(await api.get(`/v2/${REPO}/manifests/latest`), 200);
  });

  it("a mount `from` that climbs out is refused or ignored", async () => {
    for (const from of ["..", `../../${TOKEN}`, `a/../../${TOKEN}`, "%2e%2e"]) {
      const reply = await api.post(`/v2/${REPO}/blobs/uploads/`, { query: { mount: blobDigest, from } });
      // 201 is possible only because the blob is in REPO itself; 202 starts a plain upload.
      assert.ok([201, 202, 400, 404].includes(reply.status), `from=${from}: ${reply.status} ${reply.text().slice(0, 200)}`);
      assert.ok(!reply.body.includes(CANARY));
    }
  });
});

describe("traversal in references, digests and upload ids", () => {
  it("tags that climb out are refused", async () => {
    const image = makeImage();
    for (const tag of ["..", "%2e%2e", `..%2f..%2f${TOKEN}`, `..%2F..%2F..%2F${TOKEN}`, `%2e%2e%2f${TOKEN}`, `..%5c${TOKEN}`]) {
      refused(await rawRequest(registry.url, "GET", `/v2/${REPO}/manifests/${tag}`), `GET manifest ${tag}`);
      refused(
        await rawRequest(registry.url, "PUT", `/v2/${REPO}/manifests/${tag}`, {
          headers: { "Content-Type": image.mediaType },
          body: image.bytes,
        }),
        `PUT manifest ${tag}`,
      );
      refused(await rawRequest(registry.url, "DELETE", `/v2/${REPO}/manifests/${tag}`), `DELETE manifest ${tag}`);
    }
    for (const path of [`/v2/${REPO}/manifests/../../../${TOKEN}`, `/v2/${REPO}/manifests/./latest`]) {
      refused(await rawRequest(registry.url, "GET", path), `GET ${path}`);
    }
  });

  it("digests that climb out are refused", async () => {
    const digests = [
      `sha256:..%2f..%2f..%2f${TOKEN}`,
      `sha256:../../${TOKEN}`,
      `sha256%2f..%2f..%2f${TOKEN}`,
      `..%2f..%2fcanary.txt`,
      `sha256:%2e%2e`,
      `sha256:${"0".repeat(62)}%2e%2e`,
      `sha256:${"a".repeat(64)}%2f..`,
      `sha256:${"a".repeat(64)}%00`,
    ];
    for (const d of digests) {
      refused(await rawRequest(registry.url, "GET", `/v2/${REPO}/blobs/${d}`), `GET blob ${d}`);
      refused(await rawRequest(registry.url, "HEAD", `/v2/${REPO}/blobs/${d}`), `HEAD blob ${d}`);
      refused(await rawRequest(registry.url, "DELETE", `/v2/${REPO}/blobs/${d}`), `DELETE blob ${d}`);
      refused(await rawRequest(registry.url, "GET", `/v2/${REPO}/referrers/${d}`), `GET referrers ${d}`);
    }
    const location = new URL(await startUpload(api, REPO));
    for (const d of [`sha256:..%2f..%2f${TOKEN}`, `..%2f..%2f${TOKEN}`]) {
      const sep = location.search ? "&" : "?";
      refused(
        await rawRequest(registry.url, "PUT", `${location.pathname}${location.search}${sep}digest=${d}`, { headers: octet, body: Buffer.from("x") }),
        `PUT upload with digest ${d}`,
      );
    }
  });

  it("upload ids that climb out are refused", async () => {
    const ids = [
      "..",
      `../../../${TOKEN}`,
      `..%2f..%2f..%2f${TOKEN}`,
      `%2e%2e%2f%2e%2e%2f${TOKEN}`,
      `..%5c..%5c${TOKEN}`,
      `%2e%2e`,
      `x%00`,
    ];
    for (const id of ids) {
      const path = `/v2/${REPO}/blobs/uploads/${id}`;
      refused(await rawRequest(registry.url, "GET", path), `GET ${path}`);
      refused(
        await rawRequest(registry.url, "PATCH", path, { headers: { ...octet, "Content-Range": "0-3" }, body: Buffer.from(TOKEN.slice(0, 4)) }),
        `PATCH ${path}`,
      );
      refused(await rawRequest(registry.url, "PATCH", path, { headers: octet, body: Buffer.from(CANARY) }), `streamed PATCH ${path}`);
      refused(
        await rawRequest(registry.url, "PUT", `${path}?digest=${sha256(CANARY)}`, { headers: octet, body: Buffer.from(CANARY) }),
        `PUT ${path}`,
      );
      refused(await rawRequest(registry.url, "DELETE", path), `DELETE ${path}`);
    }
  });
});

describe("after all of the above", () => {
  it("nothing was written outside the data directory and the canary is intact", async () => {
    assert.deepEqual((await readdir(scratch)).sort(), ["canary.txt", "data"]);
    assert.equal(await readFile(join(scratch, "canary.txt"), "utf8"), CANARY);
    const appeared = (await readdir(tmpdir())).filter((entry) => !tmpBefore.has(entry) && entry.includes(TOKEN));
    assert.deepEqual(appeared, [], "entries named after the attack token appeared in the temp directory");
  });

  it("no file or directory inside the data directory is named after the attack token", async () => {
    const found: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (entry.name.includes(TOKEN)) found.push(join(dir, entry.name));
        if (entry.isDirectory()) await walk(join(dir, entry.name));
      }
    };
    await walk(join(scratch, "data"));
    assert.deepEqual(found, []);
  });

  it("the registry is still healthy", async () => {
    expectStatus(await api.get("/v2/"), 200);
    expectStatus(await api.get(`/v2/${REPO}/blobs/${blobDigest}`), 200);
    expectStatus(await api.get(`/v2/${REPO}/manifests/latest`), 200);
  });
});
