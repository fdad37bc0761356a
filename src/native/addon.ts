// The C addons of native/ (binding.gyp at the package root, built by `npm ci`), loaded on first use.
import { createRequire } from "node:module";

const loaded = new Map<string, unknown>();

/** `build/Release/<name>.node`; a readable error when it was never built. */
export function loadAddon<T>(name: string): T {
  let addon = loaded.get(name);
  if (addon === undefined) {
    const path = new URL(`../../../build/Release/${name}.node`, import.meta.url);
    try {
      addon = createRequire(import.meta.url)(path.pathname);
    } catch (err) {
      throw new Error(`the ${name} addon is missing (${(err as Error).message.split("\n")[0]}): run \`npm ci\` (or \`npm run build:native\`) with a C toolchain installed`);
    }
    loaded.set(name, addon);
  }
  return addon as T;
}
