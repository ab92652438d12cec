/**
 * The embedded mDNS responder (@homebridge/ciao) for hosts without avahi-daemon: the same two services and
 * TXT record as the Avahi advertiser. ciao probes the name and renames itself on a conflict (`kitchen (2)`).
 * Never run next to avahi-daemon: two responders on one host fight over the names.
 */
import { networkInterfaces } from "node:os";
import { getResponder, type CiaoService, type Responder } from "@homebridge/ciao";
import type { Logger } from "pino";
import { chaiTxt, instanceName, type ChaiAdvertisement } from "./mdns-records.js";

/**
 * The interfaces to answer on: those with an address that is not loopback. Given to ciao explicitly because
 * its own list comes from `ip link`, which names a veth or container interface `eth0@if12`, an interface it
 * then cannot find and skips. Undefined (ciao's own choice) when there is none.
 */
export function responderInterfaces(interfaces: ReturnType<typeof networkInterfaces>): string[] | undefined {
  const names = Object.entries(interfaces)
    .filter(([, infos]) => infos?.some((info) => !info.internal) === true)
    .map(([name]) => name);
  return names.length > 0 ? names : undefined;
}

/** Publishes one chaibox with ciao's responder (one per process, multicast on every interface). */
export class EmbeddedAdvertiser {
  private constructor(
    private readonly responder: Responder,
    private readonly chai: CiaoService,
    private readonly http: CiaoService,
    private ad: ChaiAdvertisement,
  ) {}

  /** Starts probing and announcing; resolves once both services are announced. */
  static async start(ad: ChaiAdvertisement, log: Logger): Promise<EmbeddedAdvertiser> {
    const iface = responderInterfaces(networkInterfaces());
    const responder = getResponder(iface ? { interface: iface } : {});
    const name = instanceName(ad.name);
    // ciao gives each service its own host name and takes two services on one host name for a conflict: the
    // web UI keeps the name-derived one (`kitchen.local`), the API's gets a suffix (`kitchen-chai.local`).
    const chai = responder.createService({ name, hostname: `${name}-chai`, type: "chai", port: ad.port, txt: chaiTxt(ad) });
    const http = responder.createService({ name, type: "http", port: ad.port, txt: { path: "/" } });
    for (const service of [chai, http]) {
      service.on("name-change", (renamed: string) => log.warn({ taken: name, name: renamed }, `the name '${name}' is taken on the network: advertising as '${renamed}'`));
    }
    chai.on("hostname-change", (hostname: string) => log.info({ hostname }, "the embedded responder's host name changed after a conflict"));
    const advertiser = new EmbeddedAdvertiser(responder, chai, http, ad);
    try {
      await Promise.all([chai.advertise(), http.advertise()]);
    } catch (error) {
      await advertiser.close();
      throw error;
    }
    log.info({ name: chai.getFQDN(), port: ad.port }, `advertised over mDNS as '${name}' (embedded responder)`);
    return advertiser;
  }

  /** The web UI's host name (`kitchen.local`, after a conflict ciao's renamed one), without the final dot. */
  get hostName(): string {
    return this.http.getHostname().replace(/\.$/, "");
  }

  /** Advertises under a new box name: the instance name and the TXT `name=` change together. */
  async update(boxName: string): Promise<void> {
    this.ad = { ...this.ad, name: boxName };
    this.chai.updateTxt(chaiTxt(this.ad));
    await Promise.all([this.chai.updateName(instanceName(boxName)), this.http.updateName(instanceName(boxName))]);
  }

  /** Sends goodbye packets for both services and releases the sockets. */
  async close(): Promise<void> {
    await Promise.all([this.chai.destroy(), this.http.destroy()]);
    await this.responder.shutdown();
  }
}
