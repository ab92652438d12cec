/**
 * What the discovery client reports about each Chai server, built from the answers of either browser (Avahi
 * or the JS one). Pure: merging answers per service and reading the TXT hints.
 */
import type { ChaiDiscovery } from "../api/chai/well-known.js";

/** One resolved answer: a service instance seen on one interface and address family. */
export interface ResolvedService {
  /** The instance name, e.g. `kitchen` or `kitchen #2`. */
  name: string;
  /** The host's mDNS name, e.g. `kitchen-box.local`. */
  host: string;
  addresses: string[];
  port: number;
  txt: Record<string, string>;
}

/** A Chai server found on the network. */
export interface DiscoveredServer {
  /** The DNS-SD instance name (the box name, or a renamed one after a collision). */
  name: string;
  /** The host's mDNS name. */
  host: string;
  /** Its addresses, IPv4 first. */
  addresses: string[];
  port: number;
  /** The TXT record as advertised (`chai`, `id`, `name`, `api`, `wk`, `auth`). */
  txt: Record<string, string>;
  /** The Chai spec version from TXT `chai=` (a hint; the discovery document wins). */
  chaiVersion: string | undefined;
  /** The box id from TXT `id=`: tells boxes apart across address changes. */
  boxId: string | undefined;
  /** The box name from TXT `name=`. */
  boxName: string | undefined;
  /** The server's base URL on its first address that answered (else its first address). */
  url: string | undefined;
  /** Its `/.well-known/chai` where it was reachable. */
  discovery: ChaiDiscovery | undefined;
  /** Why the discovery document could not be read (unreachable, not Chai), when it could not. */
  discoveryError: string | undefined;
}

const isIPv4 = (address: string) => /^\d+\.\d+\.\d+\.\d+$/.test(address);

/** Base URL of `address:port`; IPv6 in brackets. */
export function baseUrl(address: string, port: number): string {
  return isIPv4(address) ? `http://${address}:${port}` : `http://[${address}]:${port}`;
}

/**
 * One entry per service instance (name and port; a box answers once per interface and address family), with
 * the addresses of every answer, IPv4 first. Sorted by name.
 */
export function mergeServices(answers: readonly ResolvedService[]): DiscoveredServer[] {
  const byName = new Map<string, DiscoveredServer>();
  for (const answer of answers) {
    const key = `${answer.name}\u0000${answer.host}\u0000${answer.port}`;
    const known = byName.get(key);
    if (known) {
      known.addresses = [...new Set([...known.addresses, ...answer.addresses])];
      continue;
    }
    byName.set(key, {
      name: answer.name,
      host: answer.host,
      addresses: [...new Set(answer.addresses)],
      port: answer.port,
      txt: { ...answer.txt },
      chaiVersion: answer.txt.chai,
      boxId: answer.txt.id,
      boxName: answer.txt.name,
      url: undefined,
      discovery: undefined,
      discoveryError: undefined,
    });
  }
  const servers = [...byName.values()];
  for (const server of servers) {
    server.addresses.sort((a, b) => Number(isIPv4(b)) - Number(isIPv4(a)));
    server.url = server.addresses[0] === undefined ? undefined : baseUrl(server.addresses[0], server.port);
  }
  return servers.sort((a, b) => a.name.localeCompare(b.name) || a.port - b.port);
}

/** Whether a JSON body looks like a Chai discovery document (the fields a client relies on). */
export function isDiscoveryDocument(body: unknown): body is ChaiDiscovery {
  if (typeof body !== "object" || body === null) return false;
  const doc = body as Partial<Record<keyof ChaiDiscovery, unknown>>;
  return typeof doc.chai_version === "string" && typeof doc.api_base === "string" && typeof doc.box === "object" && Array.isArray(doc.features);
}
