/**
 * Where `chaibox serve` writes its log and in which shape: human lines on a terminal (pino-pretty), JSON
 * under systemd (journald adds the time) or when asked with `--log-format json`.
 */
import { createRequire } from "node:module";
import { pino, type Logger } from "pino";
import type PinoPretty from "pino-pretty";
import { logSink } from "../platform/log-sink.js";

export type LogFormat = "auto" | "json" | "pretty";

/** Pure: the shape for a format flag and the process's surroundings. */
export function resolveLogFormat(format: LogFormat, stdoutIsTty: boolean, env: NodeJS.ProcessEnv): "json" | "pretty" {
  if (format !== "auto") return format;
  // Under systemd stdout is the journal (JOURNAL_STREAM), never a terminal anyway; both checks are cheap.
  if (env.JOURNAL_STREAM !== undefined || env.INVOCATION_ID !== undefined) return "json";
  return stdoutIsTty ? "pretty" : "json";
}

/**
 * The serve logger. `format` default "auto". JSON lines go through the log sink, so logging never blocks or
 * ends the server, even with stdout on a full disk (platform/log-sink.ts); a terminal is read by a person.
 */
export function serveLogger(level: string, format: LogFormat = "auto"): Logger {
  const options = { level, base: { service: "chaibox" } };
  if (resolveLogFormat(format, process.stdout.isTTY, process.env) === "json") return pino(options, logSink());
  // Loaded only for a terminal: the service (JSON) never needs it in its heap.
  const pretty = createRequire(import.meta.url)("pino-pretty") as typeof PinoPretty;
  return pino(options, pretty({ colorize: true, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname,service", sync: true }));
}
