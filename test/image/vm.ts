/**
 * A virtual machine for the image tests: a copy of the built image, enlarged, booted by qemu under TCG with
 * UEFI firmware (OVMF on q35, AAVMF on `virt`). The serial console goes to a file the test reads; QMP (a unix
 * socket) powers the machine down the way a power button would.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFile, readFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export type Arch = "amd64" | "arm64";

/** Removes terminal escape sequences (colours, cursor moves, screen clears) from console output. */
export function plainText(console: string): string {
  // eslint-disable-next-line no-control-regex
  return console.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>c]|\r/g, "");
}

export interface VmOptions {
  arch: Arch;
  disk: string;
  /** Where the firmware variables, the serial log and the QMP socket go. */
  dir: string;
  /** qemu's -netdev and -device arguments. */
  net: string[];
  memoryMiB?: number;
}

export class Vm {
  private child: ChildProcess | undefined;
  private exited: Promise<number | string> | undefined;
  private stderr = "";
  readonly serialLog: string;
  private readonly qmpSocket: string;
  /** When the machine was powered on (Date.now()). */
  startedAt = 0;

  constructor(private readonly options: VmOptions) {
    this.serialLog = join(options.dir, `serial-${Date.now()}.log`);
    this.qmpSocket = join(options.dir, "qmp.sock");
  }

  /** Powers the machine on (the firmware variables persist between boots, as on a real machine). */
  async start(): Promise<void> {
    const { arch, disk, dir, net } = this.options;
    const vars = join(dir, "efivars.fd");
    const common = ["-m", String(this.options.memoryMiB ?? 2048), "-smp", "2", "-display", "none", "-serial", `file:${this.serialLog}`,
      "-qmp", `unix:${this.qmpSocket},server=on,wait=off`, "-drive", `file=${disk},format=raw,if=virtio,cache=unsafe`, ...net];
    let command: string;
    let args: string[];
    if (arch === "amd64") {
      await copyFile("/usr/share/OVMF/OVMF_VARS_4M.fd", vars).catch(() => undefined);
      command = "qemu-system-x86_64";
      args = ["-machine", "q35,accel=tcg", "-cpu", "max",
        "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
        "-drive", `if=pflash,format=raw,unit=1,file=${vars}`, ...common];
    } else {
      await copyFile("/usr/share/AAVMF/AAVMF_VARS.fd", vars).catch(() => undefined);
      command = "qemu-system-aarch64";
      args = ["-machine", "virt,accel=tcg", "-cpu", "max",
        "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd",
        "-drive", `if=pflash,format=raw,unit=1,file=${vars}`, ...common];
    }
    this.startedAt = Date.now();
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  }

  /** Why the machine is no longer running (qemu's exit and its own words), or undefined while it runs. */
  stopped(): string | undefined {
    if (this.child === undefined) return "the machine was never started";
    if (this.child.exitCode === null && this.child.signalCode === null) return undefined;
    return `qemu exited (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr.trim() || "nothing on its stderr"}`;
  }

  /** The serial console so far, as plain text. */
  async serial(): Promise<string> {
    return plainText(await readFile(this.serialLog, "utf8").catch(() => ""));
  }

  /** Polls the serial console until `pattern` matches; returns the match. */
  async waitForSerial(pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const match = (await this.serial()).match(pattern);
      if (match) return match;
      const stopped = this.stopped();
      if (stopped !== undefined) throw new Error(stopped);
      if (Date.now() > deadline) throw new Error(`no ${pattern} on the serial console after ${ms} ms; its end:\n${(await this.serial()).slice(-3000)}`);
      await sleep(250);
    }
  }

  /** Presses the power button (ACPI) and waits for the machine to shut down; pulls the plug after `ms`. */
  async powerDown(ms = 120_000): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    await qmp(this.qmpSocket, "system_powerdown").catch(() => undefined);
    const result = await Promise.race([this.exited, sleep(ms).then(() => "timeout" as const)]);
    if (result === "timeout") {
      this.child.kill("SIGKILL");
      await this.exited;
      throw new Error(`the machine did not power off within ${ms} ms`);
    }
  }

  /** Pulls the plug (for cleanup). */
  async kill(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      this.child.kill("SIGKILL");
      await this.exited;
    }
  }
}

/** Sends one QMP command after the capabilities handshake. */
async function qmp(socket: string, command: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const conn = connect(socket);
    let buffer = "";
    let sent = 0;
    conn.on("data", (chunk) => {
      buffer += chunk.toString();
      // Greeting, then one reply per command.
      const lines = buffer.split("\n").filter((line) => line.trim() !== "");
      if (lines.length >= 1 && sent === 0) {
        conn.write(JSON.stringify({ execute: "qmp_capabilities" }) + "\n");
        sent = 1;
      } else if (lines.length >= 2 && sent === 1) {
        conn.write(JSON.stringify({ execute: command }) + "\n");
        sent = 2;
      } else if (lines.length >= 3 && sent === 2) {
        conn.end();
        resolve();
      }
    });
    conn.on("error", reject);
  });
}
