/**
 * The systemd watchdog: `WATCHDOG=1` at half of `$WATCHDOG_USEC`, sent only while a self-check passes, so a
 * process that hangs (or whose event loop or state database stops answering) is restarted by systemd
 * instead of being kept alive by a timer that still fires.
 */

/** Half of `$WATCHDOG_USEC` in milliseconds, when the watchdog is meant for this process; else undefined. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  // systemd sets WATCHDOG_PID to the main process; a child that inherited the variables must not ping.
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== "" && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

export interface WatchdogOptions {
  intervalMs: number;
  /** Throws or returns false when the service is not healthy; then no ping is sent. */
  check(): boolean | Promise<boolean>;
  ping(): void;
  /** Told why a ping was withheld. */
  onFailure(reason: string): void;
}

/**
 * Pings every `intervalMs` while `check` passes and the event loop kept time: a tick that comes more than
 * half an interval late means the loop was blocked, which is as bad as a failed check. Returns `stop`.
 */
export function startWatchdog(options: WatchdogOptions): () => void {
  const { intervalMs } = options;
  let expected = performance.now() + intervalMs;
  let stopped = false;
  const tick = async (): Promise<void> => {
    const lateMs = performance.now() - expected;
    expected = performance.now() + intervalMs;
    try {
      if (lateMs > intervalMs / 2) options.onFailure(`the event loop was blocked for ${Math.round(lateMs)} ms`);
      else if (await options.check()) {
        if (!stopped) options.ping();
      } else options.onFailure("the self-check failed");
    } catch (error) {
      options.onFailure(`the self-check failed: ${(error as Error).message}`);
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
