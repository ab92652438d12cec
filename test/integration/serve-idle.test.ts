/**
 * An idle `chaibox serve` sleeps. A box runs for months, mostly waiting: every wake of its event loop costs
 * power, and while a model generates, each one takes a core from the decode's threads. The service's main
 * thread is counted by its context switches (Linux's /proc), so a timer that fires every few milliseconds
 * shows however it is hidden (prom-client's event-loop sampler woke it 100 times a second).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { cliArgs } from "../helpers/cli.js";

/** The voluntary and involuntary context switches of a process's main thread so far. */
async function mainThreadSwitches(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/task/${pid}/status`, "utf8");
  const count = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)$`, "m").exec(status)?.[1]);
  return count("voluntary_ctxt_switches") + count("nonvoluntary_ctxt_switches");
}

describe("an idle serve", () => {
  it("wakes its main thread a few times a second at most", { timeout: 90_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "chaibox-idle-"));
    const child = spawn(process.execPath, [...cliArgs, "serve", "--port", "0", "--host", "127.0.0.1", "--no-mdns", "--data-dir", dataDir], {
      env: { ...process.env, JOURNAL_STREAM: undefined, INVOCATION_ID: undefined, NOTIFY_SOCKET: undefined },
    });
    let output = "";
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s:\n${output}`)), 60_000);
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes("serving")) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on("exit", (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
      });
      // Startup's own work (the hardware probe, the first console text) settles first.
      await sleep(2_000);
      const before = await mainThreadSwitches(child.pid!);
      await sleep(3_000);
      const woken = (await mainThreadSwitches(child.pid!)) - before;
      // Its timers: the event-loop sampler (1 s), the console text (5 s), the responses store's sweep. A few
      // wakes more go to the log and the garbage collector.
      expect(woken).toBeGreaterThan(0);
      expect(woken).toBeLessThan(40);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("close", resolve));
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
