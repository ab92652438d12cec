import { formatSize } from "./format.js";

/** A one-line progress bar on stderr for long CLI work; silent when stderr is not a terminal (logs, CI). */
export interface ProgressBar {
  update(done: number, total: number): void;
  finish(): void;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes >= 1e8 ? 0 : 1)} MB`;
}

export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!stream.isTTY) return { update: () => undefined, finish: () => undefined };
  let lastDraw = 0;
  let drawn = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      drawn = true;
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 30));
      const filled = Math.round(fraction * width);
      const bar = "█".repeat(filled) + "░".repeat(width - filled);
      stream.write(`\r${label} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}% ${mb(done)}/${mb(total)}`);
    },
    finish() {
      if (drawn) stream.write("\n");
    },
  };
}

/** One reading of a transfer for {@link transferBar}. */
export interface TransferProgress {
  doneBytes: number;
  /** Null when unknown: the bar then shows bytes and speed only. */
  totalBytes: number | null;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface TransferBar {
  update(progress: TransferProgress): void;
  /** Erases the bar, so a line of text can be printed in its place; the next update draws it again. */
  clear(): void;
  finish(): void;
}

/** `1m05s`, `2h03m`, `42s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * A download bar on stderr: `label ████░░░░ 42% 1.2 GB/2.9 GB 11.3 MB/s ETA 2m31s`, redrawn at most 10
 * times a second. Silent when stderr is not a terminal.
 */
export function transferBar(label: string, stream: NodeJS.WriteStream = process.stderr): TransferBar {
  if (!stream.isTTY) return { update: () => undefined, clear: () => undefined, finish: () => undefined };
  let lastDraw = 0;
  let drawn = false;
  return {
    update({ doneBytes, totalBytes, bytesPerSecond, etaSeconds }) {
      const now = Date.now();
      if (now - lastDraw < 100 && doneBytes !== totalBytes) return;
      lastDraw = now;
      drawn = true;
      const speed = bytesPerSecond > 0 ? `${formatSize(bytesPerSecond)}/s` : "";
      const eta = etaSeconds !== null ? `ETA ${formatDuration(etaSeconds)}` : "";
      const sizes = totalBytes !== null ? `${formatSize(doneBytes)}/${formatSize(totalBytes)}` : formatSize(doneBytes);
      const tail = [sizes, speed, eta].filter((s) => s !== "").join("  ");
      if (totalBytes === null || totalBytes <= 0) {
        stream.write(`\r\x1b[K${label}  ${tail}`);
        return;
      }
      const fraction = Math.min(1, doneBytes / totalBytes);
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - tail.length - 10));
      const filled = Math.round(fraction * width);
      const bar = "█".repeat(filled) + "░".repeat(width - filled);
      stream.write(`\r\x1b[K${label} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}%  ${tail}`);
    },
    clear() {
      if (drawn) stream.write("\r\x1b[K");
      lastDraw = 0;
    },
    finish() {
      if (drawn) stream.write("\n");
      drawn = false;
    },
  };
}
