// `http.trustedproxies`: its validation, and which X-Forwarded-For address names the client.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../../src/config/config.js";
import { TrustedProxies } from "../../src/server/client-address.js";

/** The two things forwardedClient reads of a request: the peer and the header. */
function request(peer: string, forwardedFor?: string): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor } } as unknown as IncomingMessage;
}

describe("trusted proxies", () => {
  it("are read from YAML lists or comma-separated environment values, and refused when malformed", () => {
    assert.deepEqual(loadConfig({ env: { BERTH_HTTP_TRUSTEDPROXIES: "10.0.0.0/8, ::1 ,192.168.1.7" } }).http.trustedproxies, ["10.0.0.0/8", "::1", "192.168.1.7"]);
    assert.deepEqual(loadConfig({ env: {} }).http.trustedproxies, []);
    assert.throws(
      () => loadConfig({ env: { BERTH_HTTP_TRUSTEDPROXIES: "10.0.0.0/33,proxy.local" } }),
      (err: Error) =>
        err instanceof ConfigError &&
        /http\.trustedproxies: "10\.0\.0\.0\/33" is not an IP address or CIDR range/.test(err.message) &&
        /"proxy\.local" is not/.test(err.message),
    );
  });

  it("believe X-Forwarded-For only from a trusted peer", () => {
    const trusted = new TrustedProxies(["10.0.0.0/8", "2001:db8::/32"]);
    assert.equal(trusted.forwardedClient(request("10.1.1.1", "203.0.113.9")), "203.0.113.9");
    assert.equal(trusted.forwardedClient(request("::ffff:10.1.1.1", "203.0.113.9")), "203.0.113.9", "IPv4-mapped peers");
    assert.equal(trusted.forwardedClient(request("2001:db8::5", "2001:db8:ffff::1, 198.51.100.1")), "198.51.100.1");
    assert.equal(trusted.forwardedClient(request("192.0.2.1", "203.0.113.9")), undefined, "an untrusted peer");
    assert.equal(trusted.forwardedClient(request("10.1.1.1")), undefined, "no header");
    assert.equal(new TrustedProxies([]).forwardedClient(request("10.1.1.1", "203.0.113.9")), undefined, "none configured");
  });

  it("take the right-most address that is not a trusted proxy, and stop at a malformed one", () => {
    const trusted = new TrustedProxies(["10.0.0.0/8"]);
    assert.equal(trusted.forwardedClient(request("10.0.0.1", "198.51.100.1, 203.0.113.9, 10.0.0.2")), "203.0.113.9", "the left part is the client's to forge");
    assert.equal(trusted.forwardedClient(request("10.0.0.1", "10.0.0.3, 10.0.0.2")), "10.0.0.3", "all proxies: the farthest");
    assert.equal(trusted.forwardedClient(request("10.0.0.1", "203.0.113.9, junk, 10.0.0.2")), "10.0.0.2", "past a malformed hop nothing is vouched for");
    assert.equal(trusted.forwardedClient(request("10.0.0.1", "junk")), undefined);
  });
});
