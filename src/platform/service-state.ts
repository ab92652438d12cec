/**
 * What chaibox tells systemd about itself: a one-line status, the self-check behind each watchdog ping,
 * and the readiness, watchdog and stopping notifications over the service's life.
 */
import { openNotifier, type Notifier, type NotifyLogger } from "./sd-notify.js";
import { startWatchdog, watchdogIntervalMs } from "./watchdog.js";

/** How often STATUS is refreshed while serving. */
const STATUS_INTERVAL_MS = 15_000;

/**
 * What the service reports to systemd, read when needed: callbacks the composition root fills
 * (wiring/service.ts), so that this adapter knows nothing of the server.
 */
export interface ServiceFigures {
  /** How many models are installed. */
  installed(): Promise<number>;
  /** The ids of the loaded models. */
  loaded(): string[];
  /** How many downloads are queued or running. */
  downloading(): number;
  /** The watchdog's self-check: the state database answers. (The event loop's timeliness is checked by the watchdog itself.) */
  healthy(): boolean;
}

/** The one-line STATUS=: what is installed, loaded and downloading. */
export async function statusLine(figures: Omit<ServiceFigures, "healthy">): Promise<string> {
  const installed = await figures.installed();
  const loaded = figures.loaded();
  const pulls = figures.downloading();
  const parts = [`${installed} model${installed === 1 ? "" : "s"} installed`, loaded.length > 0 ? `loaded: ${loaded.join(", ")}` : "none loaded"];
  if (pulls > 0) parts.push(`${pulls} download${pulls === 1 ? "" : "s"} running`);
  return `serving; ${parts.join("; ")}`;
}

/**
 * TEST ONLY: with this variable set to 1, SIGUSR2 stops the watchdog pings for good, so a system test can
 * check that systemd kills and restarts a service that stopped pinging. Both are needed: the variable alone
 * changes nothing, and without it SIGUSR2 is not handled by chaibox at all. Never set it on a box.
 */
export const WATCHDOG_TEST_HOOK_ENV = "CHAIBOX_TEST_WATCHDOG_HOOK";

/** systemd's view of one running service; every method is silent without `$NOTIFY_SOCKET`. */
export class ServiceState {
  private readonly notifier: Notifier;
  private stopWatchdog: (() => void) | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  /** Set by the test-only hook ({@link WATCHDOG_TEST_HOOK_ENV}). */
  private pingsWithheld = false;

  constructor(
    private readonly log: NotifyLogger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.notifier = openNotifier(log, env);
  }

  /** Asks systemd for more time to start (a first start may generate or load models). */
  extendStart(ms: number): void {
    this.notifier.notify({ EXTEND_TIMEOUT_USEC: Math.round(ms * 1000) });
  }

  /** READY=1 with a status, then the watchdog (when systemd asked for one) and status refreshes. */
  async ready(figures: ServiceFigures): Promise<void> {
    this.notifier.notify({ READY: 1, STATUS: await statusLine(figures) });
    const intervalMs = watchdogIntervalMs(this.env);
    if (intervalMs !== undefined && this.notifier.enabled) {
      this.stopWatchdog = startWatchdog({
        intervalMs,
        check: () => !this.pingsWithheld && figures.healthy(),
        ping: () => this.notifier.notify({ WATCHDOG: 1 }),
        onFailure: (reason) => this.log.warn({ reason }, "watchdog ping withheld"),
      });
      this.log.info({ intervalMs }, "systemd watchdog enabled");
      if (this.env[WATCHDOG_TEST_HOOK_ENV] === "1") this.installTestHook();
    }
    if (this.notifier.enabled) {
      this.statusTimer = setInterval(() => {
        statusLine(figures).then(
          (status) => this.notifier.notify({ STATUS: status }),
          () => undefined,
        );
      }, STATUS_INTERVAL_MS);
      this.statusTimer.unref();
    }
  }

  private installTestHook(): void {
    this.log.warn({ env: WATCHDOG_TEST_HOOK_ENV }, "test hook enabled: SIGUSR2 stops the watchdog pings (never set this on a box)");
    process.once("SIGUSR2", () => {
      this.pingsWithheld = true;
      this.log.warn({}, "test hook: SIGUSR2 received, watchdog pings stopped");
    });
  }

  /** STOPPING=1: the drain begins. The watchdog keeps pinging while requests finish. */
  stopping(): void {
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.notifier.notify({ STOPPING: 1, STATUS: "stopping: finishing requests in flight" });
  }

  close(): void {
    this.stopWatchdog?.();
    this.notifier.close();
  }
}
