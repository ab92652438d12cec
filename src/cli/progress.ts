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
