/**
 * An idle `chaibox serve` sleeps. A box runs for months, mostly waiting: every wake of its event loop costs
 * power, and while a model generates, each one takes a core from the decode's threads. The service's main
 * thread is counted by its context switches (Linux's /proc), so a timer that fires every few milliseconds
 * shows however it is hidden (prom-client's event-loop sampler woke it 100 times a second).
 */
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { withServe } from "../helpers/cli.js";

/** The voluntary and involuntary context switches of a process's main thread so far. */
async function mainThreadSwitches(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/task/${pid}/status`, "utf8");
  const count = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)$`, "m").exec(status)?.[1]);
  return count("voluntary_ctxt_switches") + count("nonvoluntary_ctxt_switches");
}

describe("an idle serve", () => {
  it("wakes its main thread a few times a second at most", { timeout: 90_000 }, async () => {
    await withServe([], (output) => output.includes("serving"), async (child) => {
      // Startup's own work (the hardware probe, the first console text) settles first.
      await sleep(2_000);
      const before = await mainThreadSwitches(child.pid!);
      await sleep(3_000);
      const woken = (await mainThreadSwitches(child.pid!)) - before;
      // Its timers: the event-loop sampler (1 s), the console text (5 s), the responses store's sweep. A few
      // wakes more go to the log and the garbage collector.
      expect(woken).toBeGreaterThan(0);
      expect(woken).toBeLessThan(40);
    });
  });
});
