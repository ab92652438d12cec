/**
 * Forwards a runner's output into the API process's logger. The runner writes pino JSON lines to stderr;
 * each becomes a log record at its own level, tagged with the model and runner pid. Non-JSON lines (native
 * libraries writing directly) are logged as warnings. The last lines are kept to explain a failed start.
 */
import type { Readable } from "node:stream";
import { LineSplitter } from "../runner-process/protocol.js";

type LogMethod = (object: object, message?: string) => void;

/** The part of a pino logger the launcher uses; a pino `Logger` satisfies it. */
export interface RunnerLogger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

/** Lines of output kept for failure messages (default 20). */
const KEPT_LINES = 20;
/** Longest forwarded line (default 64 KiB); native libraries can dump a lot on one line. */
const MAX_OUTPUT_LINE = 64 * 1024;

function methodFor(level: unknown): keyof RunnerLogger {
  if (typeof level !== "number") return "info";
  if (level >= 50) return "error";
  if (level >= 40) return "warn";
  if (level >= 30) return "info";
  return "debug";
}

/** Reads a runner's stdout/stderr into the logger and remembers the latest lines. */
export class RunnerOutput {
  private readonly recent: string[] = [];

  constructor(
    private readonly logger: RunnerLogger,
    private readonly bindings: Record<string, unknown>,
  ) {}

  /** Starts forwarding a stream; returns at once. */
  follow(stream: Readable): void {
    let splitter = new LineSplitter(MAX_OUTPUT_LINE);
    stream.on("data", (chunk: Buffer) => {
      let lines: string[];
      try {
        lines = splitter.push(chunk);
      } catch {
        splitter = new LineSplitter(MAX_OUTPUT_LINE);
        lines = ["(over-long output line dropped)"];
      }
      for (const line of lines) this.line(line);
    });
    stream.on("end", () => {
      for (const line of splitter.end()) this.line(line);
    });
  }

  /** The latest output, as readable text (the messages of JSON records), oldest first. */
  tail(): string[] {
    return this.recent.slice();
  }

  private line(line: string): void {
    if (line.trim() === "") return;
    let record: Record<string, unknown> | undefined;
    if (line.startsWith("{")) {
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        record = undefined;
      }
    }
    if (record === undefined) {
      this.keep(line);
      this.logger.warn({ ...this.bindings }, line);
      return;
    }
    const { level, msg, time: _time, pid: _pid, hostname: _hostname, name: _name, ...fields } = record;
    const message = typeof msg === "string" ? msg : "";
    const err = typeof fields.err === "string" ? `: ${fields.err}` : "";
    this.keep(`${message}${err}`);
    this.logger[methodFor(level)]({ ...this.bindings, ...fields }, message);
  }

  private keep(text: string): void {
    this.recent.push(text);
    if (this.recent.length > KEPT_LINES) this.recent.shift();
  }
}
