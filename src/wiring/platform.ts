/**
 * Wiring: how the box makes itself known once it listens — `server.json` for the CLI on this machine, the
 * mDNS advertisement, and the notice on the console. Adapters get callbacks, never the server.
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import { CHAI_SPEC_VERSION } from "../api/chai/well-known.js";
import type { Paths } from "../config/paths.js";
import type { Config } from "../config/schema.js";
import { loopbackUrl, writeServerFile } from "../config/server-file.js";
import { ConsoleNotice, ipv4Addresses } from "../platform/console-notice.js";
import { startAdvertising, type Advertiser } from "../platform/mdns.js";

/**
 * The mDNS advertisement as the routes see it before and after it starts: the app is built before
 * listening, the advertisement starts after (it carries the real port).
 */
export class MdnsState {
  advertiser: Advertiser | undefined;

  constructor(private readonly logger: Logger) {}

  /** The name apps and people type: the one the responder really holds (Avahi renames the host on a collision). */
  hostName(): string {
    return this.advertiser?.hostName() ?? `${hostname() || "chaibox"}.local`;
  }

  /** The responder in use and its host name, for the overview (`none` until advertising). */
  describe(): { responder: Advertiser["responder"] | "none"; host: string | null } {
    const responder = this.advertiser?.responder ?? "none";
    return { responder, host: responder === "none" ? null : this.hostName() };
  }

  /** Announces a new box name; a failure is logged, never thrown. */
  announce(name: string): void {
    this.advertiser?.update(name).catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, "announcing the new box name over mDNS failed"));
  }
}

/** What announcing needs of the run. */
export interface AnnounceNeeds {
  url: string;
  /** The port really listened on (port 0 picks one). */
  port: number;
  paths: Paths;
  localKey: string;
  boxId: string;
  boxName: () => string;
  setupCode: () => string | undefined;
  mdns: MdnsState;
  logger: Logger;
}

/** What was started, to be stopped first at shutdown. */
export interface Announcements {
  advertiser: Advertiser;
  consoleNotice: ConsoleNotice;
}

/** Writes `server.json`, starts advertising (filling `needs.mdns`) and the console notice. */
export async function announce(config: Config, needs: AnnounceNeeds): Promise<Announcements> {
  const { paths, port, boxName, logger } = needs;
  await writeServerFile(paths.dataDir, { pid: process.pid, url: loopbackUrl(needs.url), dataDir: paths.dataDir, startedAt: new Date().toISOString(), adminKey: needs.localKey });
  const advertiser = await startAdvertising(config.mdns, { boxId: needs.boxId, name: boxName(), port, specVersion: CHAI_SPEC_VERSION }, logger.child({ module: "mdns" }));
  needs.mdns.advertiser = advertiser;
  const consoleNotice = new ConsoleNotice(
    paths.runtimeDir,
    () => ({ boxName: boxName(), mdnsHost: needs.mdns.hostName(), addresses: ipv4Addresses(), port, setupCode: needs.setupCode() }),
    logger.child({ module: "console" }),
  );
  await consoleNotice.start();
  return { advertiser, consoleNotice };
}
