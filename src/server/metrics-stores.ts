// Store latencies: the metadata and blob stores are wrapped at assembly, so every call the
// services make is timed, whichever backend answers. A call costs one timer and one observation.
import type { HistogramSeries, ServerMetrics, StoreKind } from "./metrics.js";

type Method = (...args: unknown[]) => unknown;

/**
 * `target` with each of its methods timed as `operation="<method>"`. A method that returns no
 * promise (a blob listing, an async iterable) is passed through untimed.
 */
export function timedStore<T extends object>(target: T, store: StoreKind, metrics: ServerMetrics): T {
  const wrapped: Record<string, Method> = {};
  for (const [name, method] of methodsOf(target)) wrapped[name] = timed(method, target, metrics.storeOperation(store, name));
  return wrapped as T;
}

function timed(method: Method, target: object, series: HistogramSeries): Method {
  return (...args) => {
    const started = performance.now();
    const result = method.apply(target, args);
    if (!(result instanceof Promise)) return result;
    return result.then(
      (value: unknown) => {
        series.observe((performance.now() - started) / 1000);
        return value;
      },
      (err: unknown) => {
        series.failures += 1;
        series.observe((performance.now() - started) / 1000);
        throw err;
      },
    );
  };
}

/** The methods an object answers to: its own and its classes', nearest first. */
function methodsOf(target: object): Map<string, Method> {
  const methods = new Map<string, Method>();
  for (let o: object | null = target; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) {
      const value = Object.getOwnPropertyDescriptor(o, name)?.value as unknown;
      if (name !== "constructor" && typeof value === "function" && !methods.has(name)) methods.set(name, value as Method);
    }
  }
  return methods;
}
