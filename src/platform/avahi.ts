/**
 * Advertising chaibox through avahi-daemon over D-Bus: one entry group holding `_chai._tcp` and `_http._tcp`
 * under the box name. It takes Avahi's alternative name on a collision (`kitchen` → `kitchen #2`), publishes
 * again when avahi-daemon restarts or its host name changes, republishes under a new box name, and frees the
 * group on close. It also knows the host name Avahi holds (after a host name collision that is `chaibox-2.local`,
 * not the machine's own name), which is what people and apps must type.
 */
import type { Logger } from "pino";
import {
  AVAHI_BUS_NAME,
  AVAHI_UNSPEC,
  AvahiGroupState,
  AvahiServerState,
  busErrorText,
  isDBusError,
  type AvahiServerApi,
  type EntryGroupApi,
  type SystemBus,
} from "./avahi-bus.js";
import { CHAI_SERVICE_TYPE, HTTP_SERVICE_TYPE, chaiTxt, encodeTxt, instanceName, type ChaiAdvertisement } from "./mdns-records.js";

/** Alternative names tried in a row before giving up (each one a round trip to Avahi). */
const MAX_RENAMES = 32;

/** Avahi objects of one daemon run: a restart of avahi-daemon makes new ones. */
interface AvahiSession {
  server: AvahiServerApi;
  group: EntryGroupApi | undefined;
}

/**
 * Publishes one chaibox through Avahi. Every change is queued, so a rename, a collision and a restart of
 * avahi-daemon arriving together are handled one after the other against the current Avahi objects.
 */
export class AvahiAdvertiser {
  private session: AvahiSession | undefined;
  /** The name being published: the box name, or Avahi's alternative after a collision. */
  private name: string;
  /** Avahi's host name (FQDN) when last asked: at attach and each time its server (re)enters running. */
  private host: string | undefined;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly onOwnerChanged = (busName: string, _old: string, owner: string) => {
    if (busName !== AVAHI_BUS_NAME || this.closed) return;
    if (owner === "") {
      this.session = undefined;
      this.log.warn("avahi-daemon left the bus: chaibox advertises again when it is back");
    } else {
      this.log.info("avahi-daemon is on the bus: advertising again");
      void this.enqueue(() => this.attach());
    }
  };

  private constructor(
    private readonly bus: SystemBus,
    private ad: ChaiAdvertisement,
    private readonly log: Logger,
  ) {
    this.name = instanceName(ad.name);
  }

  /**
   * Starts advertising on a connected bus. When avahi-daemon is not running yet, it publishes as soon as the
   * daemon takes its name on the bus.
   */
  static async start(bus: SystemBus, ad: ChaiAdvertisement, log: Logger): Promise<AvahiAdvertiser> {
    const advertiser = new AvahiAdvertiser(bus, ad, log);
    bus.daemon.on("NameOwnerChanged", advertiser.onOwnerChanged);
    if (await bus.avahiRunning()) await advertiser.enqueue(() => advertiser.attach());
    return advertiser;
  }

  /** The host name Avahi holds now, e.g. `chaibox-2.local`; undefined until avahi-daemon answered. */
  get hostName(): string | undefined {
    return this.host;
  }

  /** The instance name published now (after any collision renames). */
  get publishedName(): string {
    return this.name;
  }

  /** Advertises under a new box name: the instance name and the TXT `name=` change together. */
  update(boxName: string): Promise<void> {
    this.ad = { ...this.ad, name: boxName };
    this.name = instanceName(boxName);
    return this.enqueue(() => this.publish());
  }

  /** Withdraws the services (Avahi sends goodbye packets) and leaves the bus. */
  async close(): Promise<void> {
    this.closed = true;
    this.bus.daemon.off("NameOwnerChanged", this.onOwnerChanged);
    await this.queue;
    const session = this.session;
    this.session = undefined;
    if (session) {
      session.server.removeAllListeners();
      session.group?.removeAllListeners();
      await session.group?.Free().then(
        () => this.log.info({ name: this.name }, "the Avahi entries are freed"),
        (error: unknown) => this.log.warn({ err: busErrorText(error) }, "freeing the Avahi entry group failed"),
      );
    }
    this.bus.disconnect();
  }

  /** Runs `step` after the steps queued before it; never rejects (a failure is logged). */
  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => (this.closed ? undefined : step()));
    this.queue = run.catch((error: unknown) => this.log.warn({ err: busErrorText(error) }, "advertising through Avahi failed"));
    return this.queue;
  }

  /** Takes the objects of the running avahi-daemon and publishes once its server is running. */
  private async attach(): Promise<void> {
    this.session?.server.removeAllListeners();
    const server = await this.bus.avahiServer();
    const session: AvahiSession = { server, group: undefined };
    this.session = session;
    server.on("StateChanged", (state: number) => {
      if (this.session !== session) return;
      // Avahi's rule: withdraw while the host name is being (re)registered, publish once it runs.
      if (state === AvahiServerState.running) {
        void this.enqueue(async () => {
          await this.learnHostName(server);
          await this.publish();
        });
      }
      else if (state === AvahiServerState.collision || state === AvahiServerState.registering) void this.enqueue(() => this.reset(session));
    });
    if ((await server.GetState()) === AvahiServerState.running) {
      await this.learnHostName(server);
      await this.publish();
    }
  }

  private async learnHostName(server: AvahiServerApi): Promise<void> {
    const host = await server.GetHostNameFqdn();
    if (host !== this.host) this.log.info({ host }, `avahi-daemon holds the host name ${host}`);
    this.host = host;
  }

  private async reset(session: AvahiSession): Promise<void> {
    await session.group?.Reset();
  }

  /** (Re)publishes both services under {@link name}, taking alternative names while Avahi reports a local collision. */
  private async publish(): Promise<void> {
    const session = this.session;
    if (!session) return;
    const group = session.group ?? (await this.newGroup(session));
    await group.Reset();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.addServices(group);
        await group.Commit();
        return;
      } catch (error) {
        // Another service of this host (a second chaibox) holds the name already.
        if (!isDBusError(error, "org.freedesktop.Avahi.CollisionError") || attempt >= MAX_RENAMES) throw error;
        await this.rename(session, group);
      }
    }
  }

  private async addServices(group: EntryGroupApi): Promise<void> {
    const { name, ad } = this;
    const txt = encodeTxt(chaiTxt(ad));
    await group.AddService(AVAHI_UNSPEC, AVAHI_UNSPEC, 0, name, CHAI_SERVICE_TYPE, "", "", ad.port, txt);
    await group.AddService(AVAHI_UNSPEC, AVAHI_UNSPEC, 0, name, HTTP_SERVICE_TYPE, "", "", ad.port, encodeTxt({ path: "/" }));
  }

  private async rename(session: AvahiSession, group: EntryGroupApi): Promise<void> {
    const taken = this.name;
    this.name = await session.server.GetAlternativeServiceName(taken);
    this.log.warn({ taken, name: this.name }, `the name '${taken}' is taken on the network: advertising as '${this.name}'`);
    await group.Reset();
  }

  private async newGroup(session: AvahiSession): Promise<EntryGroupApi> {
    const path = await session.server.EntryGroupNew();
    const group = await this.bus.avahiObject<EntryGroupApi>(path, "org.freedesktop.Avahi.EntryGroup");
    session.group = group;
    group.on("StateChanged", (state: number, error: string) => {
      if (this.session !== session) return;
      if (state === AvahiGroupState.established) this.log.info({ name: this.name, port: this.ad.port }, `advertised over mDNS as '${this.name}' (Avahi)`);
      else if (state === AvahiGroupState.collision) {
        // A host elsewhere on the network announced the same name first.
        void this.enqueue(async () => {
          await this.rename(session, group);
          await this.publish();
        });
      } else if (state === AvahiGroupState.failure) this.log.warn({ err: error }, "Avahi could not publish the services");
    });
    return group;
  }
}
