/**
 * Chooses who advertises chaibox over mDNS (config `mdns`): avahi-daemon over D-Bus, the embedded responder,
 * or nobody. `auto` takes Avahi when its daemon is on the bus, else the embedded responder — never both, as
 * two responders on one host fight over the names. Logs its choice once; a failure is one warning, and
 * chaibox serves anyway.
 */
import type { Logger } from "pino";
import type { SystemBus } from "./avahi-bus.js";
import type { ChaiAdvertisement } from "./mdns-records.js";

// The D-Bus client (avahi-bus, avahi) and the embedded responder are imported when chosen: with mDNS off, or
// with one responder, the other's code stays out of the API's memory.

/** The `mdns` setting. Default `auto`. */
export type MdnsMode = "auto" | "avahi" | "embedded" | "off";

/** A running advertisement. */
export interface Advertiser {
  /** Who publishes: `avahi`, `embedded`, or `none` (off, or it could not start). */
  readonly responder: "avahi" | "embedded" | "none";
  /** The mDNS host name the responder holds (`chaibox.local`, or Avahi's `chaibox-2.local`); undefined if unknown. */
  hostName(): string | undefined;
  /** Advertises under a new box name (instance name and TXT `name=`). */
  update(boxName: string): Promise<void>;
  /** Withdraws the services (goodbye packets) and releases the bus or sockets. */
  close(): Promise<void>;
}

const none: Advertiser = { responder: "none", hostName: () => undefined, update: () => Promise.resolve(), close: () => Promise.resolve() };

/** The system bus, or why there is none. */
async function systemBus(log: Logger): Promise<SystemBus | string> {
  const { connectSystemBus, busErrorText } = await import("./avahi-bus.js");
  try {
    return await connectSystemBus((error) => log.warn({ err: error.message }, "the system D-Bus connection failed"));
  } catch (error) {
    return `no system D-Bus (${busErrorText(error)})`;
  }
}

async function startAvahi(bus: SystemBus, ad: ChaiAdvertisement, log: Logger): Promise<Advertiser> {
  const { AvahiAdvertiser } = await import("./avahi.js");
  const avahi = await AvahiAdvertiser.start(bus, ad, log);
  return { responder: "avahi", hostName: () => avahi.hostName, update: (name) => avahi.update(name), close: () => avahi.close() };
}

async function startEmbedded(ad: ChaiAdvertisement, log: Logger): Promise<Advertiser> {
  // The embedded responder brings source-map-support, which also hooks every stack trace.
  const { EmbeddedAdvertiser } = await import("./mdns-embedded.js");
  const embedded = await EmbeddedAdvertiser.start(ad, log);
  return { responder: "embedded", hostName: () => embedded.hostName, update: (name) => embedded.update(name), close: () => embedded.close() };
}

async function choose(mode: Exclude<MdnsMode, "off">, ad: ChaiAdvertisement, log: Logger): Promise<Advertiser> {
  if (mode === "embedded") return startEmbedded(ad, log);
  const bus = await systemBus(log);
  if (mode === "avahi") {
    if (typeof bus === "string") {
      log.warn(`mdns is 'avahi' but there is ${bus}: chaibox is not advertised on the network`);
      return none;
    }
    if (!(await bus.avahiRunning())) log.warn("mdns is 'avahi' but avahi-daemon is not running: chaibox is advertised once it starts");
    return startAvahi(bus, ad, log);
  }
  if (typeof bus !== "string" && (await bus.avahiRunning())) return startAvahi(bus, ad, log);
  if (typeof bus !== "string") bus.disconnect();
  log.info(`avahi-daemon is not on the system bus (${typeof bus === "string" ? bus : "not running"}): using the embedded mDNS responder`);
  return startEmbedded(ad, log);
}

/**
 * Starts advertising `_chai._tcp` and `_http._tcp` as `mode` says. Never rejects: when the responder cannot
 * start, it logs one warning saying so and returns an advertiser that does nothing.
 */
export async function startAdvertising(mode: MdnsMode, ad: ChaiAdvertisement, log: Logger): Promise<Advertiser> {
  if (mode === "off") {
    log.info("mDNS advertisement is off");
    return none;
  }
  try {
    return await choose(mode, ad, log);
  } catch (error) {
    const { busErrorText } = await import("./avahi-bus.js");
    log.warn({ err: busErrorText(error) }, "cannot advertise over mDNS: apps will not find this box by themselves (they can still use its address)");
    return none;
  }
}
