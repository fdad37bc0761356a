// How the console writes sizes, times and digests.
import { createElement, type ReactElement } from "react";

export { formatBytes } from "../../src/api/byte-format.js";

const RELATIVE = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 30],
  ["month", 12],
  ["year", Infinity],
];

/** "3 minutes ago", "in 2 days". */
export function relativeTime(iso: string, now: number = Date.now()): string {
  let delta = (Date.parse(iso) - now) / 1000;
  for (const [unit, size] of STEPS) {
    if (Math.abs(delta) < size) return RELATIVE.format(Math.round(delta), unit);
    delta /= size;
  }
  return iso;
}

/** A relative time with the exact ISO time as its tooltip; "never" for null. */
export function formatTime(iso: string | null | undefined): ReactElement | string {
  if (!iso) return "never";
  return createElement("time", { dateTime: iso, title: iso }, relativeTime(iso));
}

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** "7 Dec 2026, 01:23" in the browser's locale and time zone. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : DATE.format(time);
}

/** "sha256:0123456789ab": the algorithm and 12 hex digits. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(":");
  return colon < 0 ? digest.slice(0, 12) : digest.slice(0, colon + 13);
}
