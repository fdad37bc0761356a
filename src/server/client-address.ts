// The client behind a request when a proxy we trust (`http.trustedproxies`) forwarded it: the
// right-most address of `X-Forwarded-For` that is not itself a trusted proxy. Anyone can send the
// header, so it is believed only from a trusted peer.
import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";
import { parseAddressRange } from "../config/address-ranges.js";

export class TrustedProxies {
  private readonly list = new BlockList();
  private readonly none: boolean;

  /** `ranges`: addresses and CIDR ranges, validated with the configuration */
  constructor(ranges: readonly string[]) {
    for (const entry of ranges) {
      const range = parseAddressRange(entry);
      if (!range) throw new Error(`not an IP address or CIDR range: ${entry}`);
      this.list.addSubnet(range.address, range.prefix, range.family);
    }
    this.none = ranges.length === 0;
  }

  /** The forwarded client, or undefined when the peer is not trusted or names no valid address. */
  forwardedClient(req: IncomingMessage): string | undefined {
    if (this.none || !this.trusts(req.socket.remoteAddress)) return undefined;
    const header = req.headers["x-forwarded-for"];
    if (typeof header !== "string") return undefined;
    const hops = header.slice(0, 1000).split(",");
    let client: string | undefined;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!.trim();
      // A malformed hop was written by someone we cannot vouch for: stop at the last good one.
      if (isIP(hop) === 0) return client;
      client = hop;
      if (!this.trusts(hop)) return hop;
    }
    return client;
  }

  private trusts(address: string | undefined): boolean {
    const version = address === undefined ? 0 : isIP(address);
    return version !== 0 && this.list.check(address!, version === 4 ? "ipv4" : "ipv6");
  }
}
