/**
 * Finds the Chai servers on the local network: browses `_chai._tcp` over mDNS (through avahi-daemon when it
 * is on the system D-Bus, else with a JavaScript browser), then reads each server's `/.well-known/chai`.
 * Exported for apps as `import { discover } from "chaibox/client"`.
 */
import { connectSystemBus, type SystemBus } from "../platform/avahi-bus.js";
import { browseWithAvahi } from "./avahi-browser.js";
import { browseWithJs } from "./js-browser.js";
import { baseUrl, isDiscoveryDocument, mergeServices, type DiscoveredServer, type ResolvedService } from "./servers.js";

/** Options of {@link discover}. */
export interface DiscoverOptions {
  /** How long to listen for answers, in milliseconds. Default 3000. */
  timeoutMs?: number;
  /** `avahi` (avahi-daemon over D-Bus), `js` (a multicast browser in this process), or `auto`: Avahi when it runs. Default `auto`. */
  browser?: "auto" | "avahi" | "js";
  /** Read each server's `/.well-known/chai`. Default true. */
  readDiscoveryDocument?: boolean;
  /** How long reading one discovery document may take, in milliseconds. Default 2000. */
  documentTimeoutMs?: number;
}

/** The system bus when avahi-daemon is on it, else undefined (`auto`), or an error (`avahi`). */
async function avahiBus(browser: "auto" | "avahi"): Promise<SystemBus | undefined> {
  let bus: SystemBus | undefined;
  try {
    bus = await connectSystemBus();
    if (await bus.avahiRunning()) return bus;
  } catch (error) {
    if (browser === "avahi") throw new Error(`cannot reach avahi-daemon: ${(error as Error).message}`);
  }
  bus?.disconnect();
  if (browser === "avahi") throw new Error("avahi-daemon is not running on the system D-Bus");
  return undefined;
}

async function browse(options: DiscoverOptions, timeoutMs: number): Promise<ResolvedService[]> {
  const choice = options.browser ?? "auto";
  const bus = choice === "js" ? undefined : await avahiBus(choice);
  if (!bus) return browseWithJs(timeoutMs);
  try {
    return await browseWithAvahi(bus, timeoutMs);
  } finally {
    bus.disconnect();
  }
}

/** Reads the discovery document from the first of the server's addresses that answers. */
async function readDocument(server: DiscoveredServer, timeoutMs: number): Promise<void> {
  const path = server.txt.wk?.startsWith("/") === true ? server.txt.wk : "/.well-known/chai";
  const reasons: string[] = [];
  for (const address of server.addresses) {
    const url = baseUrl(address, server.port);
    try {
      const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body: unknown = await response.json();
      if (!isDiscoveryDocument(body)) throw new Error("not a Chai discovery document");
      server.url = url;
      server.discovery = body;
      server.discoveryError = undefined;
      return;
    } catch (error) {
      reasons.push(`${url}: ${(error as Error).message}`);
    }
  }
  server.discoveryError = reasons.length > 0 ? reasons.join("; ") : "no address";
}

/**
 * The Chai servers that answer on the local network within the timeout, one entry per advertised instance,
 * sorted by name. Each carries its addresses, port, TXT hints and, where reachable, its discovery document.
 */
export async function discover(options: DiscoverOptions = {}): Promise<DiscoveredServer[]> {
  const servers = mergeServices(await browse(options, options.timeoutMs ?? 3000));
  if (options.readDiscoveryDocument ?? true) await Promise.all(servers.map((server) => readDocument(server, options.documentTimeoutMs ?? 2000)));
  return servers;
}
