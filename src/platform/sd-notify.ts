/**
 * systemd's readiness protocol (sd_notify(3)): `KEY=value` lines in one datagram to the unix socket named by
 * `$NOTIFY_SOCKET`. Without that variable (not under systemd, or `Type=simple`) every call is silent. Node
 * has no unix datagram sockets, so the optional `unix-dgram` package sends them; where it could not be
 * built, chaibox says so once and runs without notifications.
 */
import { createRequire } from "node:module";

/** The subset of `unix-dgram`'s socket used here. */
interface DatagramSocket {
  send(buffer: Buffer, offset: number, length: number, path: string, callback?: (error?: Error) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  close(): void;
}

interface UnixDgram {
  createSocket(type: "unix_dgram"): DatagramSocket;
}

export interface NotifyLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

/** Sends service state to systemd; a no-op when chaibox is not run by systemd with a notify socket. */
export interface Notifier {
  /** True when `$NOTIFY_SOCKET` is set and a socket could be opened. */
  readonly enabled: boolean;
  /** One notification, e.g. `{ READY: 1, STATUS: "serving" }`. Newlines in values are replaced. */
  notify(state: Record<string, string | number>): void;
  close(): void;
}

const silent: Notifier = { enabled: false, notify: () => undefined, close: () => undefined };

function loadUnixDgram(): UnixDgram | undefined {
  try {
    return createRequire(import.meta.url)("unix-dgram") as UnixDgram;
  } catch {
    return undefined;
  }
}

/** An abstract socket (`@name`) is addressed with a leading NUL byte. */
function socketPath(value: string): string {
  return value.startsWith("@") ? `\0${value.slice(1)}` : value;
}

/** Formats a notification: one `KEY=value` line each, values on one line. */
export function formatNotification(state: Record<string, string | number>): string {
  return Object.entries(state)
    .map(([key, value]) => `${key}=${String(value).replace(/[\r\n]+/g, " ")}`)
    .join("\n");
}

/** Opens the notifier `$NOTIFY_SOCKET` asks for (default: the process environment). */
export function openNotifier(log: NotifyLogger, env: NodeJS.ProcessEnv = process.env): Notifier {
  const target = env.NOTIFY_SOCKET;
  if (target === undefined || target === "") return silent;
  const dgram = loadUnixDgram();
  if (!dgram) {
    log.warn({ notifySocket: target }, "NOTIFY_SOCKET is set but the optional unix-dgram package is missing: systemd gets no readiness or watchdog notifications");
    return silent;
  }
  const socket = dgram.createSocket("unix_dgram");
  let failed = false;
  const report = (error: Error | undefined): void => {
    if (!error || failed) return;
    failed = true;
    log.warn({ err: error.message, notifySocket: target }, "cannot notify systemd");
  };
  socket.on("error", report);
  const path = socketPath(target);
  return {
    enabled: true,
    notify(state) {
      const message = Buffer.from(formatNotification(state));
      try {
        socket.send(message, 0, message.length, path, report);
      } catch (error) {
        report(error as Error);
      }
    },
    close() {
      socket.close();
    },
  };
}
