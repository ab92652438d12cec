/**
 * Where the server's log lines go: stdout, written asynchronously from a bounded queue, so logging can never
 * block or end the server. A full disk (ENOSPC when stdout is a file), a stuck reader (EAGAIN on a pipe) or a
 * closed stdout (EPIPE) only drops lines — counted, and reported once lines can be written again.
 */
import { write as fsWrite, writeSync } from "node:fs";

export interface LogSinkOptions {
  /** The file descriptor to write to. Default 1 (stdout). */
  fd?: number;
  /** Bytes queued at most; lines beyond are dropped. Default 1 MiB. */
  maxQueuedBytes?: number;
  /** Wait before writing again after a failure, in ms. Default 1000. */
  retryMs?: number;
}

/** A pino destination: `pino(options, logSink())`. */
export interface LogSink {
  write(line: string): void;
  /** Lines dropped since the last successful write. */
  readonly dropped: number;
}

export function logSink(options: LogSinkOptions = {}): LogSink {
  const fd = options.fd ?? 1;
  const maxBytes = options.maxQueuedBytes ?? 1024 * 1024;
  const retryMs = options.retryMs ?? 1000;
  const queue: Buffer[] = [];
  let queuedBytes = 0;
  let writing = false;
  let dropped = 0;
  let waiting: NodeJS.Timeout | undefined;

  const pump = (): void => {
    if (writing || waiting !== undefined) return;
    const next = queue[0];
    if (next === undefined) return;
    writing = true;
    fsWrite(fd, next, 0, next.length, null, (error, written) => {
      writing = false;
      if (error) {
        // Keep the line and try again later; meanwhile new lines past the bound are dropped.
        waiting = setTimeout(() => {
          waiting = undefined;
          pump();
        }, retryMs);
        waiting.unref();
        return;
      }
      if (written < next.length) {
        queue[0] = next.subarray(written);
        queuedBytes -= written;
      } else {
        queue.shift();
        queuedBytes -= next.length;
        if (dropped > 0) {
          const note = Buffer.from(`${JSON.stringify({ level: 40, time: Date.now(), msg: `${dropped} log lines were dropped: the log could not be written` })}\n`);
          dropped = 0;
          queue.unshift(note);
          queuedBytes += note.length;
        }
      }
      pump();
    });
  };

  // Lines still queued when the process exits (the shutdown's last words) are written synchronously, once.
  process.once("exit", () => {
    for (const buffer of queue) {
      try {
        writeSync(fd, buffer);
      } catch {
        return;
      }
    }
  });

  return {
    write(line: string): void {
      const buffer = Buffer.from(line);
      if (queuedBytes + buffer.length > maxBytes) {
        dropped++;
        return;
      }
      queue.push(buffer);
      queuedBytes += buffer.length;
      pump();
    },
    get dropped() {
      return dropped;
    },
  };
}
