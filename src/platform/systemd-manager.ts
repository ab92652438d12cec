/**
 * The parts of systemd's manager (`org.freedesktop.systemd1` on the system D-Bus) that chaibox uses: start a
 * transient service, follow its state through `PropertiesChanged` signals, stop or signal it. The bus address
 * comes from `$DBUS_SYSTEM_BUS_ADDRESS` (default: /run/dbus/system_bus_socket), as for systemctl.
 */
import { constants } from "node:os";
import dbus, { type ClientInterface, type MessageBus } from "dbus-next";
import type { UnitProperty } from "./runner-unit-spec.js";

const SYSTEMD_NAME = "org.freedesktop.systemd1";
const SYSTEMD_PATH = "/org/freedesktop/systemd1";
const MANAGER_IFACE = "org.freedesktop.systemd1.Manager";
const UNIT_IFACE = "org.freedesktop.systemd1.Unit";
const SERVICE_IFACE = "org.freedesktop.systemd1.Service";
const PROPERTIES_IFACE = "org.freedesktop.DBus.Properties";
/** How long connecting to the bus and a first question to systemd may take (default 3 s). */
const CONNECT_TIMEOUT_MS = 3_000;

/** How a unit's main process ended, from `ExecMainCode`/`ExecMainStatus` (waitid's CLD_* codes). */
export interface UnitExit {
  code: number | null;
  signal: string | null;
}

/** `org.freedesktop.systemd1.Manager`, the methods used here. */
interface ManagerApi extends ClientInterface {
  Subscribe(): Promise<void>;
  StartTransientUnit(name: string, mode: string, properties: [string, dbus.Variant][], aux: unknown[]): Promise<string>;
  StopUnit(name: string, mode: string): Promise<string>;
  KillUnit(name: string, who: string, signal: number): Promise<void>;
  ResetFailedUnit(name: string): Promise<void>;
  GetUnit(name: string): Promise<string>;
}

interface PropertiesApi extends ClientInterface {
  Get(iface: string, name: string): Promise<dbus.Variant>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The D-Bus error name of a failed call (e.g. `org.freedesktop.DBus.Error.AccessDenied`), if it is one. */
export function dbusErrorName(error: unknown): string | undefined {
  return error instanceof dbus.DBusError ? error.type : undefined;
}

/** A signal number's name (`SIGKILL`), or the number as text when Node does not know it. */
function signalName(signo: number): string {
  const entry = Object.entries(constants.signals).find(([, value]) => value === signo);
  return entry?.[0] ?? String(signo);
}

/** ExecMainCode/ExecMainStatus → an exit: CLD_EXITED (1) carries the code, CLD_KILLED/CLD_DUMPED the signal. */
export function unitExit(execMainCode: number, execMainStatus: number): UnitExit {
  if (execMainCode === 2 || execMainCode === 3) return { code: null, signal: signalName(execMainStatus) };
  return { code: execMainStatus, signal: null };
}

/** One unit as followed over the bus: its main PID and the moment it stops being active. */
export interface UnitWatch {
  /** The main process; undefined until systemd has started it (kept current from `PropertiesChanged`). */
  readonly mainPid: number | undefined;
  /** Resolves once the unit is inactive, failed or gone. */
  readonly ended: Promise<UnitExit>;
}

/** A connection to systemd's manager on the system bus. */
export class SystemdManager {
  private constructor(
    private readonly bus: MessageBus,
    private readonly manager: ManagerApi,
  ) {}

  /** Connects and subscribes to unit signals; rejects when the bus or systemd cannot be reached. */
  static async connect(): Promise<SystemdManager> {
    const bus = dbus.systemBus();
    // A broken connection emits "error"; without a listener it would end the process.
    const failed = new Promise<never>((_, reject) => bus.once("error", reject));
    bus.on("error", () => undefined);
    try {
      const object = await withTimeout(Promise.race([bus.getProxyObject(SYSTEMD_NAME, SYSTEMD_PATH), failed]), CONNECT_TIMEOUT_MS, "systemd");
      const manager = object.getInterface<ManagerApi>(MANAGER_IFACE);
      await withTimeout(manager.Subscribe(), CONNECT_TIMEOUT_MS, "systemd");
      return new SystemdManager(bus, manager);
    } catch (error) {
      bus.disconnect();
      throw error;
    }
  }

  /**
   * Starts a transient service and resolves once systemd took the start job (mode `fail`: an existing unit
   * of that name is an error, `org.freedesktop.systemd1.UnitExists`).
   */
  async startTransient(name: string, properties: readonly UnitProperty[]): Promise<void> {
    const variants = properties.map(([key, signature, value]): [string, dbus.Variant] => [key, new dbus.Variant(signature, value)]);
    await this.manager.StartTransientUnit(name, "fail", variants, []);
  }

  /**
   * Follows a unit until it is inactive or failed. Subscribes before reading the state, so an end between
   * the two is not missed; a unit already gone (collected) counts as ended.
   */
  async watch(name: string): Promise<UnitWatch> {
    let path: string;
    try {
      path = await this.manager.GetUnit(name);
    } catch (error) {
      if (dbusErrorName(error) === "org.freedesktop.systemd1.NoSuchUnit") return { mainPid: undefined, ended: Promise.resolve({ code: null, signal: null }) };
      throw error;
    }
    const object = await this.bus.getProxyObject(SYSTEMD_NAME, path);
    const properties = object.getInterface<PropertiesApi>(PROPERTIES_IFACE);
    const read = async (iface: string, key: string): Promise<unknown> => ((await properties.Get(iface, key)) as { value: unknown }).value;
    const exitNow = async (): Promise<UnitExit> => {
      try {
        return unitExit(Number(await read(SERVICE_IFACE, "ExecMainCode")), Number(await read(SERVICE_IFACE, "ExecMainStatus")));
      } catch {
        // Collected already: systemd no longer knows how it ended.
        return { code: null, signal: null };
      }
    };
    let exitSeen: UnitExit | undefined;
    let mainPid: number | undefined;
    const ended = new Promise<UnitExit>((resolve) => {
      const finish = (exit: UnitExit): void => {
        properties.removeListener("PropertiesChanged", onChange);
        resolve(exit);
      };
      const onChange = (iface: string, changed: Record<string, { value: unknown }>): void => {
        if (iface === SERVICE_IFACE && changed.MainPID !== undefined) mainPid = Number(changed.MainPID.value) || mainPid;
        if (iface === SERVICE_IFACE && changed.ExecMainCode !== undefined && changed.ExecMainStatus !== undefined) {
          exitSeen = unitExit(Number(changed.ExecMainCode.value), Number(changed.ExecMainStatus.value));
        }
        const state = iface === UNIT_IFACE ? changed.ActiveState?.value : undefined;
        if (state === "inactive" || state === "failed") {
          if (exitSeen !== undefined) finish(exitSeen);
          else void exitNow().then(finish);
        }
      };
      properties.on("PropertiesChanged", onChange);
      read(UNIT_IFACE, "ActiveState").then(
        (state) => {
          if (state === "inactive" || state === "failed") void exitNow().then(finish);
        },
        () => finish({ code: null, signal: null }),
      );
    });
    try {
      mainPid ??= Number(await read(SERVICE_IFACE, "MainPID")) || undefined;
    } catch {
      // Gone already: `ended` says so.
    }
    return {
      get mainPid() {
        return mainPid;
      },
      ended,
    };
  }

  /** Sends a signal to every process of the unit (`KillUnit`, who = all). */
  async kill(name: string, signal: NodeJS.Signals): Promise<void> {
    await this.manager.KillUnit(name, "all", constants.signals[signal]);
  }

  /** Stops the unit (SIGTERM, then SIGKILL after its TimeoutStopSec). */
  async stop(name: string): Promise<void> {
    await this.manager.StopUnit(name, "replace");
  }

  /** Forgets a failed unit of that name, so the name can be used again. */
  async resetFailed(name: string): Promise<void> {
    await this.manager.ResetFailedUnit(name);
  }

  disconnect(): void {
    this.bus.disconnect();
  }
}
