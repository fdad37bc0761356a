import type { Platform } from "./model";

/** `linux/arm64/v8`, as docker names a platform. */
export function platformName(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}
