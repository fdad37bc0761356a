// `/metrics` of a real `berth serve` (one serving process): what a push and some pulls leave in
// the counters, the cap on repository label values, and the switch that turns it off.
import assert from "node:assert/strict";
import { get } from "node:http";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { Api, expectStatus, makeImage, pushBlob, pushManifest } from "../protocol/support.js";
import { sample, scrape } from "./support.js";

describe("/metrics", () => {
  let registry: RunningRegistry;
  let api: Api;
  before(async () => {
    registry = await startRegistry({ args: ["--workers", "1"], env: { BERTH_HTTP_METRICS_REPOSITORIES: "2" } });
    api = new Api(registry.url);
  });
  after(() => registry?.close());

  it("counts a push and its pulls, requests by route and status, bytes and store calls", async () => {
    const image = makeImage({ layerSize: 100_000 });
    await pushManifest(api, "team/app", image, "v1");
    for (let i = 0; i < 3; i++) expectStatus(await api.get("/v2/team/app/manifests/v1"), 200);
    expectStatus(await api.head("/v2/team/app/manifests/v1"), 200);
    expectStatus(await api.get("/v2/team/app/manifests/nope"), 404);

    const text = await scrape(registry);
    assert.equal(sample(text, 'berth_pushes_total{repository="team/app"}'), 1);
    assert.equal(sample(text, 'berth_pulls_total{repository="team/app"}'), 3, "GETs answered 200 are pulls; HEADs and 404s are not");
    assert.equal(sample(text, 'berth_http_requests_total{route="manifest",method="GET",status="200"}'), 3);
    assert.equal(sample(text, 'berth_http_requests_total{route="manifest",method="HEAD",status="200"}'), 1);
    assert.equal(sample(text, 'berth_http_requests_total{route="manifest",method="GET",status="404"}'), 1);
    assert.equal(sample(text, 'berth_http_requests_total{route="manifest",method="PUT",status="201"}'), 1);
    assert.equal(sample(text, 'berth_http_request_duration_seconds_count{route="manifest",method="GET",status="200"}'), 3);
    assert.equal(sample(text, 'berth_http_request_duration_seconds_bucket{route="manifest",method="GET",status="200",le="+Inf"}'), 3);
    assert.equal(sample(text, 'berth_http_requests_total{route="blob_upload",method="POST",status="202"}'), 2, "config and layer");

    const uploaded = sample(text, 'berth_http_request_bytes_total{route="blob_upload_chunk"}')!;
    assert.ok(uploaded >= 100_000 && uploaded < 100_000 + 4_000, `upload bytes in: ${uploaded}`);
    const served = sample(text, 'berth_http_response_bytes_total{route="manifest"}')!;
    assert.ok(served >= 3 * image.bytes.length, `manifest bytes out: ${served}`);

    assert.equal(sample(text, "berth_uploads_in_progress"), 0);
    assert.equal(sample(text, "berth_http_requests_in_flight"), 1, "the scrape itself");
    assert.equal(sample(text, 'berth_store_operation_duration_seconds_count{store="metadata",operation="putManifest"}'), 1);
    assert.equal(sample(text, 'berth_store_operation_duration_seconds_count{store="blob",operation="move"}'), 2, "a blob's commit is a move of its upload on the driver contract");
    assert.ok(sample(text, "process_resident_memory_bytes")! > 0, "process metrics");
    assert.ok(sample(text, "nodejs_heap_size_used_bytes")! > 0, "Node.js metrics");
    assert.doesNotMatch(text, /berth_auth_failures_total\{/, "an open registry refuses nobody");
  });

  it("counts uploads in progress while their bytes arrive", async () => {
    const started = await api.post("/v2/team/app/blobs/uploads/");
    expectStatus(started, 202);
    const body = new TransformStream<Uint8Array, Uint8Array>();
    const writer = body.writable.getWriter();
    const patch = fetch(api.location(started), { method: "PATCH", body: body.readable, duplex: "half" } as RequestInit);
    await writer.write(new Uint8Array(1000));
    let during = 0;
    for (const deadline = Date.now() + 5_000; during === 0 && Date.now() < deadline; ) during = sample(await scrape(registry), "berth_uploads_in_progress")!;
    await writer.close();
    const patched = await patch;
    assert.equal(patched.status, 202, await patched.text());
    assert.equal(during, 1);
    assert.equal(sample(await scrape(registry), "berth_uploads_in_progress"), 0);
  });

  it("gives the first repositories a series each and counts the rest together", async () => {
    for (const name of ["x/one", "x/two", "x/three"]) {
      const image = makeImage();
      await pushManifest(api, name, image, "v1");
    }
    const text = await scrape(registry);
    assert.equal(sample(text, 'berth_pushes_total{repository="x/one"}'), 1, "team/app and x/one fill the cap of 2");
    assert.equal(sample(text, 'berth_pushes_total{repository="x/two"}'), undefined);
    assert.equal(sample(text, 'berth_pushes_total{repository="(other)"}'), 2);
    await pushBlob(api, "x/four", "a blob alone is no push");
    assert.equal(sample(await scrape(registry), 'berth_pushes_total{repository="(other)"}'), 2);
  });
});

/** A GET on a connection of its own, so that requests spread over the serving processes. */
function getAlone(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

describe("/metrics of several serving processes", () => {
  it("answers for all of them, whichever one the scrape lands on", async () => {
    const registry = await startRegistry({ args: ["--workers", "2"] });
    try {
      const deadline = Date.now() + 20_000;
      while (!registry.output().includes("started workers") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(registry.output().includes("started workers"), registry.output());
      for (let i = 0; i < 10; i++) assert.equal((await getAlone(`${registry.url}/v2/`)).status, 200);
      for (let i = 0; i < 6; i++) {
        const scraped = await getAlone(`${registry.url}/metrics`);
        assert.equal(scraped.status, 200);
        assert.equal(sample(scraped.body, 'berth_metrics_processes{state="answered"}'), 2, scraped.body.slice(0, 300));
        assert.equal(sample(scraped.body, 'berth_metrics_processes{state="missing"}'), 0);
        assert.equal(sample(scraped.body, 'berth_http_requests_total{route="base",method="GET",status="200"}'), 10);
      }
    } finally {
      await registry.close();
    }
  });
});

describe("/metrics switched off", () => {
  it("is not served with http.metrics.enabled false", async () => {
    const registry = await startRegistry({ args: ["--workers", "1"], env: { BERTH_HTTP_METRICS_ENABLED: "false" } });
    try {
      const res = await fetch(`${registry.url}/metrics`);
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]!.code, "NAME_UNKNOWN");
      assert.equal((await fetch(`${registry.url}/healthz`)).status, 200, "health checks stay");
    } finally {
      await registry.close();
    }
  });
});
