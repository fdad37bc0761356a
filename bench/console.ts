// Row C: the console's repository page with thousands of tags, in Chromium. One image pushed
// over HTTP and tagged N times (manifest PUTs, concurrently), then the page opened cold (a fresh
// browser context: no cache, no earlier page) several times; each run is timed from navigation
// start to the mark the page sets once the first page of tags is in the DOM. One unmeasured load
// first: Chromium's first page pays for starting its renderer and network processes.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BenchError, Client, imageManifest, pool, sha256 } from "./lib/client.js";
import { below, median, type Row } from "./lib/report.js";
import { startBerth } from "./lib/servers.js";

export interface ConsoleSizes {
  tags: number;
  /** cold page loads measured */
  runs: number;
  concurrency: number;
}

export const CONSOLE_FULL: ConsoleSizes = { tags: 5_000, runs: 5, concurrency: 16 };
export const CONSOLE_QUICK: ConsoleSizes = { tags: 250, runs: 2, concurrency: 16 };

export const CHROMIUM = "/usr/bin/chromium";
/** Set by web/src/pages/repositories/TagsTab.tsx. */
const TAGS_RENDERED_MARK = "berth:tags-rendered";
/** The API's default page: what the page shows before "Load more". */
const FIRST_PAGE = 100;

export interface ConsoleRowOptions {
  mainJs: string;
  workDir: string;
  sizes: ConsoleSizes;
  log(msg: string): void;
}

export async function consoleRows(o: ConsoleRowOptions): Promise<Row[]> {
  const workload = `console: repository page of a repository with ${o.sizes.tags.toLocaleString("en-US")} tags, Chromium`;
  const skipped = (why: string): Row[] => {
    // CI has Chromium (.ci/install.sh) and builds the console: missing there is a failure.
    if (process.env.CI === "true") throw new BenchError(`row C: ${why}`);
    o.log(`C skipped: ${why}`);
    return [{ id: "C", workload, metric: `skipped: ${why}`, unit: "", values: {} }];
  };
  if (!existsSync(CHROMIUM)) return skipped(`${CHROMIUM} is missing (apt-get install chromium)`);
  const index = fileURLToPath(new URL("../web/index.html", import.meta.url));
  if (!existsSync(index)) return skipped(`${index} is missing (npm run build builds the console)`);

  const operatorToken = randomBytes(24).toString("base64url");
  const login = "bench/admin";
  const server = await startBerth({
    mainJs: o.mainJs,
    dataDir: join(o.workDir, "berth-console"),
    env: { BERTH_AUTH_ENABLED: "true", BERTH_AUTH_OPERATOR_NAMESPACE: "bench", BERTH_AUTH_OPERATOR_TOKEN: operatorToken },
  });
  const client = new Client(server.base, o.sizes.concurrency, { Authorization: `Basic ${Buffer.from(`${login}:${operatorToken}`).toString("base64")}` });
  try {
    const repo = "bench/many-tags";
    o.log(`C seeding ${o.sizes.tags} tags of one image in ${repo}`);
    const t0 = performance.now();
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
    const layer = randomBytes(1024);
    await client.pushBlob(repo, config, sha256(config));
    await client.pushBlob(repo, layer, sha256(layer));
    const manifest = imageManifest({ digest: sha256(config), size: config.byteLength }, [{ digest: sha256(layer), size: layer.byteLength }]);
    const tags = Array.from({ length: o.sizes.tags }, (_, i) => `t${String(i).padStart(5, "0")}`);
    await pool(tags, o.sizes.concurrency, (tag) => client.putManifest(repo, tag, manifest, sha256(manifest)));
    o.log(`C seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s; opening the page ${o.sizes.runs} times`);

    const times = await timePageLoads(server.base, login, operatorToken, repo, o.sizes.runs);
    o.log(`C first page of tags after ${times.map((t) => t.toFixed(0)).join(", ")} ms`);
    return [
      {
        id: "C",
        workload,
        metric: `navigation start → first ${FIRST_PAGE} tags in the DOM, cold, median of ${o.sizes.runs}`,
        unit: "ms",
        values: { Berth: median(times) },
        ratioNote: "Berth only",
        target: below(1000, "ms"),
      },
    ];
  } finally {
    client.close();
    await server.stop();
  }
}

/** Milliseconds from navigation start to the first page of tags, one fresh context per run. */
async function timePageLoads(base: string, login: string, secret: string, repo: string, runs: number): Promise<number[]> {
  // Loaded here only, so the other rows never need playwright-core.
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  try {
    const times: number[] = [];
    for (let run = -1; run < runs; run++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        // The session cookie lands in the context; signing in is not what is timed.
        const session = await context.request.post(`${base}/api/v1/session`, { data: { login, secret } });
        if (session.status() !== 201) throw new BenchError(`POST /api/v1/session answered ${session.status()}: ${await session.text()}`);
        const page = await context.newPage();
        const errors: string[] = [];
        page.on("pageerror", (err) => errors.push(err.message));
        await page.goto(`${base}/console/repositories/${repo}`);
        await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, TAGS_RENDERED_MARK, { timeout: 30_000 });
        const at = await page.evaluate((mark) => performance.getEntriesByName(mark)[0]!.startTime, TAGS_RENDERED_MARK);
        // Paginated: the first page only, and a way to the next.
        const rows = await page.getByRole("row").count();
        if (rows !== FIRST_PAGE + 1) throw new BenchError(`the page shows ${rows - 1} tag rows, expected the first page of ${FIRST_PAGE}`);
        if ((await page.getByRole("button", { name: "Load more" }).count()) !== 1) throw new BenchError("no Load more button under the first page of tags");
        if (errors.length > 0) throw new BenchError(`page errors: ${errors.join("; ")}`);
        if (run >= 0) times.push(at);
      } finally {
        await context.close();
      }
    }
    return times;
  } finally {
    await browser.close();
  }
}
