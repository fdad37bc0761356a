// How big a serving process lets V8's heap grow. Both settings trade a little collection work for
// memory (bench rows 8 and S5).
import { setFlagsFromString } from "node:v8";

/**
 * A smaller young generation: about 20 MiB less peak memory per process under load than V8's
 * default, at no measured cost in requests per second; 2 MiB rather than 4 took 20 concurrent S3
 * pushes from 302 to 281 MiB summed (bench row S5). V8 sizes it at start-up, so it goes on the
 * command line: the supervisor gives it to every serving process it forks.
 */
export const SERVE_HEAP_FLAG = "--max-semi-space-size=2";

/**
 * After a full collection, V8 lets the old generation grow up to 4× what survived it on a machine
 * with much memory. Under load most of what reaches it is request garbage that outlived two
 * young-generation collections, so that headroom became 10–20 MiB of RSS per process. Capped at
 * 1.2× (V8 adds at least 8 MiB and the young generation's size on top). V8 reads the factor at
 * each collection, so setting it after start-up takes effect.
 */
export function keepOldGenerationSmall(): void {
  setFlagsFromString("--heap-growing-percent=20");
}
