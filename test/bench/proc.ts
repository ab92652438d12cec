/** Process facts from /proc (Linux): resident memory, CPU time and the process tree. */
import { readdir, readFile } from "node:fs/promises";

/** Resident set size in bytes (VmRSS of /proc/<pid>/status), or undefined when the process is gone. */
export async function rssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

interface Stat {
  pid: number;
  ppid: number;
  /** utime + stime in clock ticks. */
  cpuTicks: number;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so split after the last ')'. */
async function readStat(pid: number): Promise<Stat | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { pid, ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** The command line of a process, arguments joined by spaces ("" when it is gone). */
export async function commandLine(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/** Every process below `root` (children, grandchildren…), found by scanning /proc/<pid>/stat for ppids. */
export async function descendants(root: number): Promise<number[]> {
  const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name)).map(Number);
  const stats = (await Promise.all(pids.map(readStat))).filter((s): s is Stat => s !== undefined);
  const byParent = new Map<number, number[]>();
  for (const s of stats) byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), s.pid]);
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift() as number) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** CPU time (user + system) a process has used so far, in milliseconds (0 when it is gone). */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readStat(pid);
  // Linux reports clock ticks at USER_HZ, which is 100 on every mainstream architecture.
  return stat ? stat.cpuTicks * 10 : 0;
}

/**
 * The runner of a chaibox server: the descendant started as the runner entry (`…/main.js --socket PATH`,
 * or main.ts through tsx), whatever the folder it lives in.
 */
export async function findRunnerPid(serverPid: number): Promise<number | undefined> {
  for (const pid of await descendants(serverPid)) {
    if (/[/\\]main\.(ts|js) --socket\b/.test(await commandLine(pid))) return pid;
  }
  return undefined;
}

/** A point in time for {@link othersShare}: the machine's busy CPU time and the part this process tree used. */
export interface CpuSnapshot {
  atMs: number;
  busyMs: number;
  oursMs: number;
}

/** Busy CPU time of the whole machine (all cores, ms), from the first line of /proc/stat. */
async function machineBusyMs(): Promise<number> {
  const line = (await readFile("/proc/stat", "utf8")).split("\n", 1)[0] ?? "";
  // cpu user nice system idle iowait irq softirq steal …, in USER_HZ ticks (10 ms)
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 10;
}

/** Takes a snapshot of the machine's CPU use and of this process with all its descendants (chaibox too). */
export async function cpuSnapshot(): Promise<CpuSnapshot> {
  const tree = [process.pid, ...(await descendants(process.pid))];
  const ours = (await Promise.all(tree.map(cpuMs))).reduce((a, b) => a + b, 0);
  return { atMs: performance.now(), busyMs: await machineBusyMs(), oursMs: ours };
}

/** CPU time (ms) other processes used between two snapshots. */
export function othersCpuMs(before: CpuSnapshot, after: CpuSnapshot): number {
  return Math.max(0, after.busyMs - before.busyMs - (after.oursMs - before.oursMs));
}
