// IP addresses and CIDR ranges as the configuration writes them (`10.0.0.0/8`, `::1`). Apart from
// config.ts so that serving processes, which never load the configuration's parsers, can use it.
import { isIP } from "node:net";

export interface AddressRange {
  address: string;
  /** prefix length in bits; the whole address when the entry had none */
  prefix: number;
  family: "ipv4" | "ipv6";
}

/** The range an entry names, or undefined when it is not an address or `address/prefix`. */
export function parseAddressRange(entry: string): AddressRange | undefined {
  const slash = entry.indexOf("/");
  const address = (slash < 0 ? entry : entry.slice(0, slash)).trim();
  const version = isIP(address);
  if (version === 0) return undefined;
  const bits = version === 4 ? 32 : 128;
  if (slash < 0) return { address, prefix: bits, family: version === 4 ? "ipv4" : "ipv6" };
  const prefixText = entry.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return undefined;
  return { address, prefix: Number(prefixText), family: version === 4 ? "ipv4" : "ipv6" };
}
