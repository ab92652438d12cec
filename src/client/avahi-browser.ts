/**
 * Browsing `_chai._tcp` through avahi-daemon's ServiceBrowser, resolving each instance with its resolver
 * (`ResolveService`), over the system D-Bus.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { AVAHI_UNSPEC, isDBusError, type AvahiServerApi, type ServiceBrowserApi, type SystemBus } from "../platform/avahi-bus.js";
import { CHAI_SERVICE_TYPE, decodeTxt } from "../platform/mdns-records.js";
import type { ResolvedService } from "./servers.js";

const BROWSER = "org.freedesktop.Avahi.ServiceBrowser";

/**
 * A browser for `_chai._tcp`. Avahi 0.8 (interface Server2) prepares one that stays silent until started, so no `ItemNew` fires
 * before the listener is subscribed; an older Avahi reports at once (its cache may then be missed).
 */
async function newBrowser(bus: SystemBus, server: AvahiServerApi): Promise<{ path: string; start: () => Promise<unknown> }> {
  const args = [AVAHI_UNSPEC, AVAHI_UNSPEC, CHAI_SERVICE_TYPE, "", 0];
  try {
    const [path] = await bus.callAvahi("/", "org.freedesktop.Avahi.Server2", "ServiceBrowserPrepare", "iissu", args);
    return { path: String(path), start: () => bus.callAvahi(String(path), BROWSER, "Start", "", []) };
  } catch (error) {
    if (!isDBusError(error, "org.freedesktop.DBus.Error.UnknownMethod")) throw error;
    const path = await server.ServiceBrowserNew(AVAHI_UNSPEC, AVAHI_UNSPEC, CHAI_SERVICE_TYPE, "", 0);
    return { path, start: () => Promise.resolve() };
  }
}

/** Every answer Avahi resolves within `timeoutMs` (plus the resolutions still in flight then, up to as long again). */
export async function browseWithAvahi(bus: SystemBus, timeoutMs: number): Promise<ResolvedService[]> {
  const server = await bus.avahiServer();
  const { path, start } = await newBrowser(bus, server);
  const browser = await bus.avahiObject<ServiceBrowserApi>(path, BROWSER);
  const pending: Promise<ResolvedService | undefined>[] = [];
  browser.on("ItemNew", (iface: number, protocol: number, name: string, type: string, domain: string) => {
    const resolved = server.ResolveService(iface, protocol, name, type, domain, AVAHI_UNSPEC, 0).then(
      ([, , resolvedName, , , host, , address, port, txt]) => ({ name: resolvedName, host, addresses: [address], port, txt: decodeTxt(txt) }),
      // Gone before it could be resolved, or it does not answer: not a server to list.
      () => undefined,
    );
    pending.push(resolved);
  });
  await start();
  await sleep(timeoutMs);
  browser.removeAllListeners();
  await browser.Free().catch(() => undefined);
  const settled: (ResolvedService | undefined)[] = await Promise.race([Promise.all(pending), sleep(timeoutMs, [])]);
  return settled.filter((answer): answer is ResolvedService => answer !== undefined);
}
