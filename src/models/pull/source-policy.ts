/**
 * Which hosts a pull may fetch from, so that `POST /api/pull` and `/admin/models/pulls` cannot be used to look
 * around the box's own network: the box itself (loopback, its own interface addresses), link-local addresses
 * (cloud metadata services live there) and unspecified ones are refused unless the owner lists the host in
 * `models.allowHosts` (a LAN mirror is a real use, made explicit). A redirect is followed only to https or to
 * an allowed host. Checked before every request of a download, redirects included.
 */
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { ChaiboxError } from "../../errors.js";

/** Checks one request's URL before it is sent; throws ChaiboxError `pull_source_refused` when refused. */
export interface SourcePolicy {
  check(url: URL, redirected: boolean): Promise<void>;
}

export interface SourcePolicyOptions {
  /** Host names or addresses (optionally `host:port`) that may be fetched from even when local. Default none. */
  allowHosts?: readonly string[];
  /** Resolves a host name to its addresses. Default: the system resolver. */
  resolve?: (host: string) => Promise<string[]>;
  /** The box's own addresses. Default: every address of its network interfaces. */
  ownAddresses?: () => string[];
}

const refusedRanges = new BlockList();
refusedRanges.addSubnet("127.0.0.0", 8, "ipv4");
refusedRanges.addSubnet("0.0.0.0", 8, "ipv4");
refusedRanges.addSubnet("169.254.0.0", 16, "ipv4");
refusedRanges.addSubnet("224.0.0.0", 4, "ipv4");
refusedRanges.addSubnet("::1", 128, "ipv6");
refusedRanges.addSubnet("::", 128, "ipv6");
refusedRanges.addSubnet("fe80::", 10, "ipv6");
refusedRanges.addSubnet("ff00::", 8, "ipv6");

/** `::ffff:127.0.0.1` → `127.0.0.1`, so a mapped address is judged as the IPv4 address it is. */
function unmapped(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith("::ffff:") && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/** Whether `address` is loopback, link-local, unspecified or multicast. */
export function isRefusedAddress(address: string): boolean {
  const plain = unmapped(address.replace(/%.*$/, ""));
  const family = isIP(plain);
  if (family === 0) return true;
  return refusedRanges.check(plain, family === 4 ? "ipv4" : "ipv6");
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => unmapped(entry.address.replace(/%.*$/, ""))));
}

async function systemResolve(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
}

function refused(host: string, why: string): ChaiboxError {
  return new ChaiboxError("pull_source_refused", `Pulling from ${host} is refused: ${why}. To pull from a local mirror, add its host to models.allowHosts.`, {
    host,
  });
}

/** The policy described at the top of this file. */
export function sourcePolicy(options: SourcePolicyOptions = {}): SourcePolicy {
  const allowed = new Set((options.allowHosts ?? []).map((host) => host.trim().toLowerCase()).filter((host) => host !== ""));
  const resolve = options.resolve ?? systemResolve;
  const own = options.ownAddresses ?? interfaceAddresses;
  return {
    async check(url, redirected) {
      const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
      if (allowed.has(host) || allowed.has(url.host.toLowerCase())) return;
      if (url.protocol !== "https:" && url.protocol !== "http:") throw refused(host, "only http and https are fetched");
      if (redirected && url.protocol !== "https:") throw refused(host, "a redirect is followed only to https or to an allowed host");
      let addresses: string[];
      try {
        addresses = isIP(host) === 0 ? await resolve(host) : [host];
      } catch {
        throw new ChaiboxError("download_failed", `Downloading from ${host} failed: the host name could not be resolved.`, { host });
      }
      const mine = new Set(own());
      for (const address of addresses) {
        if (isRefusedAddress(address)) throw refused(host, "it is a loopback, link-local or unspecified address");
        if (mine.has(unmapped(address))) throw refused(host, "it is one of this box's own addresses");
      }
    },
  };
}
