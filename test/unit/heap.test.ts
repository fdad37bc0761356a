import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { it } from "node:test";
import { promisify } from "node:util";
import { SERVE_HEAP_FLAG } from "../../src/server/heap.js";

const heapModule = new URL("../../src/server/heap.js", import.meta.url).href;

/**
 * In a fresh process (with the serving processes' young generation), keeps a ring of objects that
 * live long enough to be promoted, then die, as request state does under load; returns the largest
 * old generation seen once the first full collections are past (MiB).
 */
async function steadyOldGeneration(capped: boolean): Promise<number> {
  const script = `
    import { getHeapSpaceStatistics } from "node:v8";
    if (${capped}) (await import(${JSON.stringify(heapModule)})).keepOldGenerationSmall();
    const ring = new Array(20000);
    let peak = 0;
    for (let i = 0; i < 6e6; i++) {
      ring[i % ring.length] = { a: i, b: "x" + i, c: [i, i + 1, i + 2] };
      if (i >= 2e6 && i % 10000 === 0) {
        peak = Math.max(peak, getHeapSpaceStatistics().find((s) => s.space_name === "old_space").space_size);
      }
    }
    console.log(peak / 2 ** 20);`;
  const { stdout } = await promisify(execFile)(process.execPath, [SERVE_HEAP_FLAG, "--input-type=module", "-e", script]);
  return Number(stdout);
}

it("heap: the old generation's headroom is capped once a serving process asks", async () => {
  // About 19 MiB capped against about 30 MiB as V8 chooses, for some 6 MiB that survives.
  const [capped, uncapped] = await Promise.all([steadyOldGeneration(true), steadyOldGeneration(false)]);
  assert.ok(capped > 0 && uncapped > 0, `measured ${capped} and ${uncapped}`);
  assert.ok(uncapped - capped > 6, `capped: ${capped.toFixed(1)} MiB, as V8 chooses: ${uncapped.toFixed(1)} MiB`);
});
