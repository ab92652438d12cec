/**
 * Talking to avahi-daemon over the system D-Bus (`org.freedesktop.Avahi`), shared by the advertiser and the
 * discovery client. The bus address comes from `$DBUS_SYSTEM_BUS_ADDRESS` (default: Debian's
 * /run/dbus/system_bus_socket), as for avahi-browse.
 */
import type { EventEmitter } from "node:events";
import dbus, { type ClientInterface, type MessageBus } from "dbus-next";

/** Avahi's well-known name on the bus. */
export const AVAHI_BUS_NAME = "org.freedesktop.Avahi";
/** `AVAHI_IF_UNSPEC` and `AVAHI_PROTO_UNSPEC`: every interface, IPv4 and IPv6. */
export const AVAHI_UNSPEC = -1;
/** Avahi server states (`AvahiServerState`). */
export const AvahiServerState = { registering: 1, running: 2, collision: 3, failure: 4 } as const;
/** Entry group states (`AvahiEntryGroupState`). */
export const AvahiGroupState = { uncommitted: 0, registering: 1, established: 2, collision: 3, failure: 4 } as const;

/** How long connecting to the bus and asking it a first question may take. */
const CONNECT_TIMEOUT_MS = 2000;

/** The methods of `org.freedesktop.Avahi.Server` chaibox calls (signal: `StateChanged(state, error)`). */
export interface AvahiServerApi extends EventEmitter {
  GetState(): Promise<number>;
  /** The host name Avahi holds on the network, e.g. `chaibox.local`, or `chaibox-2.local` after a collision. */
  GetHostNameFqdn(): Promise<string>;
  EntryGroupNew(): Promise<string>;
  GetAlternativeServiceName(name: string): Promise<string>;
  /** A browser that reports at once (older Avahi; 0.8's `ServiceBrowserPrepare` is not in its introspection data). */
  ServiceBrowserNew(iface: number, protocol: number, type: string, domain: string, flags: number): Promise<string>;
  /** → interface, protocol, name, type, domain, host, aprotocol, address, port, txt, flags. */
  ResolveService(
    iface: number,
    protocol: number,
    name: string,
    type: string,
    domain: string,
    aprotocol: number,
    flags: number,
  ): Promise<[number, number, string, string, string, string, number, string, number, Buffer[], number]>;
}

/** `org.freedesktop.Avahi.EntryGroup` (signal: `StateChanged(state, error)`). */
export interface EntryGroupApi extends EventEmitter {
  AddService(iface: number, protocol: number, flags: number, name: string, type: string, domain: string, host: string, port: number, txt: Buffer[]): Promise<void>;
  Commit(): Promise<void>;
  Reset(): Promise<void>;
  Free(): Promise<void>;
}

/** `org.freedesktop.Avahi.ServiceBrowser` (signals: `ItemNew`, `ItemRemove`, `AllForNow`, `Failure`). */
export interface ServiceBrowserApi extends EventEmitter {
  Free(): Promise<void>;
}

/** `org.freedesktop.DBus` (signal: `NameOwnerChanged(name, oldOwner, newOwner)`). */
export interface BusDaemonApi extends EventEmitter {
  NameHasOwner(name: string): Promise<boolean>;
}

/** A connected system bus and the Avahi objects on it. */
export interface SystemBus {
  bus: MessageBus;
  daemon: BusDaemonApi;
  /** Whether avahi-daemon holds its name on the bus now. */
  avahiRunning(): Promise<boolean>;
  /** Avahi's server interface (`org.freedesktop.Avahi.Server` at `/`). */
  avahiServer(): Promise<AvahiServerApi>;
  /** An interface of an object Avahi created (an entry group, a browser). */
  avahiObject<T extends EventEmitter>(path: string, iface: string): Promise<T>;
  /** Calls an Avahi method by name, for the methods Avahi's introspection data leaves out. */
  callAvahi(path: string, iface: string, member: string, signature: string, body: unknown[]): Promise<unknown[]>;
  disconnect(): void;
}

/** dbus-next builds interfaces from introspection: their methods are typed here, once. */
function typed<T>(iface: ClientInterface): T {
  return iface as unknown as T;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Connects to the system bus. Rejects (within 2 s) when there is no bus to connect to; once connected, a
 * later bus error is passed to `onError` instead of ending the process.
 */
export async function connectSystemBus(onError: (error: Error) => void = () => undefined): Promise<SystemBus> {
  const bus = dbus.systemBus();
  let connected = false;
  const failed = new Promise<never>((_, reject) => {
    bus.on("error", (error: Error) => (connected ? onError(error) : reject(error)));
  });
  try {
    const daemonObject = await withTimeout(Promise.race([bus.getProxyObject("org.freedesktop.DBus", "/org/freedesktop/DBus"), failed]), CONNECT_TIMEOUT_MS, "the system D-Bus");
    connected = true;
    const daemon = typed<BusDaemonApi>(daemonObject.getInterface("org.freedesktop.DBus"));
    const avahiObject = async <T>(path: string, iface: string) => typed<T>((await bus.getProxyObject(AVAHI_BUS_NAME, path)).getInterface(iface));
    return {
      bus,
      daemon,
      avahiRunning: () => daemon.NameHasOwner(AVAHI_BUS_NAME),
      avahiServer: () => avahiObject<AvahiServerApi>("/", "org.freedesktop.Avahi.Server"),
      avahiObject,
      callAvahi: async (path, iface, member, signature, body) => {
        const reply = await bus.call(new dbus.Message({ destination: AVAHI_BUS_NAME, path, interface: iface, member, signature, body }));
        return (reply?.body ?? []) as unknown[];
      },
      disconnect: () => bus.disconnect(),
    };
  } catch (error) {
    bus.disconnect();
    throw error;
  }
}

/** Whether a D-Bus call failed with the named error, e.g. `org.freedesktop.Avahi.CollisionError`. */
export function isDBusError(error: unknown, name: string): boolean {
  return error instanceof dbus.DBusError && error.type === name;
}

/** A D-Bus error's text for a log line. */
export function busErrorText(error: unknown): string {
  if (error instanceof dbus.DBusError) return `${error.type}: ${error.text}`;
  return error instanceof Error ? error.message : String(error);
}
