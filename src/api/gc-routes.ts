// Garbage collection on demand, for the registry's operators: start one (or learn that one is
// running), and follow it by the run record any process reads.
import type { AdminServices } from "../admin/services.js";
import { ApiError } from "./envelope.js";
import type { Route, Target } from "./route.js";
import * as s from "./schemas.js";

const registry = (): Target => ({ kind: "registry" });

export function gcRoutes(a: AdminServices): Route[] {
  const gc = () => a.gc ?? unavailable();
  return [
    {
      method: "POST",
      path: "/gc",
      summary: "Start a garbage collection (dryRun: count, remove nothing); CONFLICT while one runs (operators)",
      access: { operation: "RunGarbageCollection", target: registry },
      body: s.bodies.startGc,
      response: s.gcRun,
      status: 202,
      action: ({ principal, body }) => gc().start(principal, body.dryRun ?? false),
    },
    {
      method: "GET",
      path: "/gc",
      summary: "The current garbage collection, or the last one: state, times, progress, result (operators)",
      access: { operation: "ReadGarbageCollection", target: registry },
      response: s.gcRun,
      status: 200,
      action: () => gc().status(),
    },
    {
      method: "GET",
      path: "/gc/{id}",
      summary: "One garbage collection run, by the id POST /gc answered (operators)",
      access: { operation: "ReadGarbageCollection", target: registry },
      response: s.gcRun,
      status: 200,
      action: ({ params }) => gc().status(params.id!),
    },
  ];
}

function unavailable(): never {
  throw new ApiError("UNAVAILABLE", 503, "garbage collection is not available in this process");
}
