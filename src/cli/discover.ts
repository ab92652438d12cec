/** `chaibox discover`: lists the Chai servers on the local network (mDNS `_chai._tcp`). */
import { discover } from "../client/discover.js";
import type { DiscoveredServer } from "../client/servers.js";
import { UsageError, commonHelp, parse } from "./args.js";

export function discoverHelp(): string {
  return `Usage: chaibox discover [--json] [--timeout S] [--browser auto|avahi|js]

Lists the Chai servers (chaibox and others) that advertise _chai._tcp over mDNS on the local network:
their name, addresses, port, Chai spec version and box id, and a summary of each one's /.well-known/chai
(server, features, whether a token is needed) where it is reachable.

It asks avahi-daemon over the system D-Bus when it runs, else it browses with multicast DNS itself. A box
that does not show up: check that it runs with mdns on (chaibox serve logs "advertised over mDNS"), that
both machines are on the same network (mDNS does not cross routers), and that UDP port 5353 is open.

Options:
  --json            print the servers as JSON (the same objects discover() returns in JavaScript)
  --timeout S       seconds to listen for answers [default: 3]
  --browser B       auto (avahi when it runs, else js), avahi, or js [default: auto]
${commonHelp}

From JavaScript: import { discover } from "chaibox/client"; const servers = await discover({ timeoutMs: 3000 });`;
}

function seconds(value: string | undefined): number {
  if (value === undefined) return 3;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 600) throw new UsageError(`--timeout must be a number of seconds between 0 and 600, got '${value}'`);
  return n;
}

function browserOption(value: string | undefined): "auto" | "avahi" | "js" {
  if (value === undefined || value === "auto" || value === "avahi" || value === "js") return value ?? "auto";
  throw new UsageError(`--browser must be auto, avahi or js, got '${value}'`);
}

/** The human-readable listing: one block per server. */
export function formatServers(servers: readonly DiscoveredServer[], timeoutS: number): string {
  if (servers.length === 0) return `No Chai server answered within ${timeoutS} s.`;
  return servers
    .map((server) => {
      const lines = [`${server.name}  (chai ${server.chaiVersion ?? "?"}, box id ${server.boxId ?? "?"})`];
      lines.push(`  ${server.url ?? "no address"}  host ${server.host}, addresses ${server.addresses.join(", ") || "none"}, port ${server.port}`);
      const doc = server.discovery;
      if (doc) {
        const auth = doc.auth.required ? "token required" : "no token needed";
        lines.push(`  ${doc.server.name} ${doc.server.version}, box '${doc.box.name}', ${auth}, features: ${doc.features.join(", ") || "none"}`);
      } else if (server.discoveryError !== undefined) lines.push(`  /.well-known/chai not reachable: ${server.discoveryError}`);
      return lines.join("\n");
    })
    .join("\n\n");
}

export async function discoverCommand(args: string[]): Promise<void> {
  const { values } = parse(args, { json: { type: "boolean" }, timeout: { type: "string" }, browser: { type: "string" } }, false);
  if (values.help) {
    console.log(discoverHelp());
    return;
  }
  const timeoutS = seconds(values.timeout);
  const servers = await discover({ timeoutMs: timeoutS * 1000, browser: browserOption(values.browser) });
  // Absent fields as null: every entry has the same keys.
  console.log(values.json === true ? JSON.stringify(servers, (_key, value: unknown) => value ?? null, 2) : formatServers(servers, timeoutS));
}
