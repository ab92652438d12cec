/** Browsing `_chai._tcp` with a multicast DNS browser in JavaScript (bonjour-service), for hosts without Avahi. */
import { setTimeout as sleep } from "node:timers/promises";
import { Bonjour, type Service } from "bonjour-service";
import type { ResolvedService } from "./servers.js";

/** bonjour-service decodes TXT values to strings, or to Buffers for binary ones. */
function txtOf(service: Service): Record<string, string> {
  const txt: Record<string, string> = {};
  for (const [key, value] of Object.entries((service.txt ?? {}) as Record<string, unknown>)) {
    txt[key.toLowerCase()] = Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
  }
  return txt;
}

/** Every `_chai._tcp` instance that answers within `timeoutMs`. */
export async function browseWithJs(timeoutMs: number): Promise<ResolvedService[]> {
  const bonjour = new Bonjour();
  try {
    const browser = bonjour.find({ type: "chai", protocol: "tcp" });
    await sleep(timeoutMs);
    const services = browser.services.map((service) => ({
      // bonjour-service keeps the instance name as the first label of the service's FQDN.
      name: service.name,
      host: service.host,
      addresses: service.addresses ?? [],
      port: service.port,
      txt: txtOf(service),
    }));
    browser.stop();
    return services;
  } finally {
    bonjour.destroy();
  }
}
