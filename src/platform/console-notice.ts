/**
 * Keeps `<runtimeDir>/console.txt` (`/run/chaibox/console.txt` under systemd) equal to the console text of
 * the moment. On a box, chaibox-console.path sees each change and a root-run unit shows the text on every
 * console (agetty's /run/issue.d) and on the boot partition: chaibox itself needs no privileges for that.
 * It looks again every few seconds, so a new address, a setup just done or a renamed box show up by
 * themselves.
 */
import { rename, rm, writeFile } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { consoleText, type ConsoleFacts } from "./console-text.js";

const REFRESH_MS = 5000;

/** The IPv4 addresses of the network interfaces, loopback and link-local left out. */
export function ipv4Addresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === "IPv4" && !a.internal && !a.address.startsWith("169.254."))
    .map((a) => a!.address);
}

export class ConsoleNotice {
  private timer: NodeJS.Timeout | undefined;
  /** The facts last rendered: the text (a QR code among it, ~5 ms to draw) is drawn only when they change. */
  private rendered: string | undefined;
  private readonly file: string;

  constructor(
    runtimeDir: string,
    private readonly facts: () => ConsoleFacts,
    private readonly log: Logger,
  ) {
    this.file = join(runtimeDir, "console.txt");
  }

  /** Writes the text now and keeps it current. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  /** Writes the text when it changed; a failure is logged once per change, and chaibox serves on. */
  async refresh(): Promise<void> {
    const facts = this.facts();
    const key = JSON.stringify(facts);
    if (key === this.rendered) return;
    this.rendered = key;
    const text = consoleText(facts);
    try {
      // Whole or not at all: the unit that copies it never sees half a file.
      await writeFile(`${this.file}.tmp`, text, { mode: 0o640 });
      await rename(`${this.file}.tmp`, this.file);
    } catch (error) {
      this.log.warn({ err: (error as Error).message, file: this.file }, "writing the console text failed");
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await rm(this.file, { force: true });
  }
}
