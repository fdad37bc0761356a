// The value types configuration keys share: durations, booleans as the environment writes them,
// address ranges.
import { z } from "zod";
import { parseAddressRange } from "./address-ranges.js";
import { parseDuration } from "./duration.js";

export const DURATION = "a duration such as 30s, 10m or 24h";
export const BOOLEAN = "true or false";

export const duration = z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === "number") return value * 1000;
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a duration (e.g. 30s, 10m, 24h)` });
    return z.NEVER;
  }
  return ms;
});

export const bool = z.union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])]).transform((v) =>
  typeof v === "boolean" ? v : ["true", "1", "yes"].includes(v),
);

/** A list of addresses or CIDR ranges: a YAML list, or one string separated by commas (environment). */
export const addressRanges = z.union([z.string(), z.array(z.string())]).transform((value, ctx) => {
  const entries = (typeof value === "string" ? value.split(",") : value).map((e) => e.trim()).filter((e) => e !== "");
  for (const entry of entries) {
    if (!parseAddressRange(entry)) ctx.addIssue({ code: "custom", message: `"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8)`, params: { verbatim: true } });
  }
  return entries;
});
