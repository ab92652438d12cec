/**
 * The hardware probe: reads this machine into a {@link HardwareSnapshot}. The only importer of
 * systeminformation. What cannot change while chaibox runs (CPU, GPUs, OS, the GPU backend) is read once
 * per process; what does (available memory, free disk, free VRAM) is re-read after a short time.
 *
 * Nothing here logs: every part that can fail soft-fails into `warnings`, and the caller (serve, the CLI)
 * decides how to show them.
 */
import { statfs } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism, cpus } from "node:os";
import { dirname, resolve } from "node:path";
import type * as systeminformation from "systeminformation";
import { snapshotFromSystemInformation, type NvidiaSmiGpu, type SystemInformationData } from "./from-systeminformation.js";
import type { GpuProbeOutcome, GpuProbeReport, GpuProbeRunner } from "./gpu-report.js";
import { queryNvidiaSmi, type NvidiaSmiResult } from "./nvidia-smi.js";
import type { HardwareSnapshot } from "./snapshot.js";

type SystemInformation = typeof systeminformation;

/**
 * The four parts of systeminformation (pinned in package.json) the probe reads. Its index loads all twenty
 * (network, processes, docker, wifi, bluetooth…): about 700 KB of JavaScript that would stay in the API's
 * heap for good, where these take half of it.
 */
const si: Pick<SystemInformation, "cpu" | "cpuFlags" | "mem" | "graphics" | "osInfo"> = (() => {
  const require = createRequire(import.meta.url);
  const part = (name: string): unknown => require(`systeminformation/lib/${name}.js`);
  return {
    ...(part("cpu") as Pick<SystemInformation, "cpu" | "cpuFlags">),
    ...(part("memory") as Pick<SystemInformation, "mem">),
    ...(part("graphics") as Pick<SystemInformation, "graphics">),
    ...(part("osinfo") as Pick<SystemInformation, "osInfo">),
  };
})();

export interface ProbeOptions {
  /** Where the models are stored; the disk figures are for the file system that holds it (or its nearest existing parent). */
  modelsDir: string;
  /** Run the GPU probe child (node-llama-cpp) for the backend and free VRAM; default true. */
  gpuProbe?: boolean;
  /**
   * How the GPU probe child is run (engine/native's `runGpuProbe`, passed in by the composition root and the
   * CLI: this layer sits below the engine). Without it no GPU probe runs, as with `gpuProbe: false`.
   */
  runGpuProbe?: GpuProbeRunner;
  /** Timeout of the GPU probe child; default 30 s. */
  gpuProbeTimeoutMs?: number;
  /** How long memory, disk and nvidia-smi figures are reused; default 2 s. */
  maxAgeMs?: number;
  /**
   * How long the GPU probe child's free-VRAM figure is reused before the child runs again; default 30 s.
   * Only matters for GPUs nvidia-smi does not cover (AMD, Intel, Vulkan): starting the child costs a
   * second or two of CPU, so it is not run on every request.
   */
  vramMaxAgeMs?: number;
}

export interface ProbeResult {
  snapshot: HardwareSnapshot;
  /** What could not be read (GPU probe failed or timed out, nvidia-smi failed); empty when all went well. */
  warnings: string[];
}

/** Defaults of {@link ProbeOptions}. */
export const PROBE_DEFAULTS = { maxAgeMs: 2_000, vramMaxAgeMs: 30_000, gpuProbeTimeoutMs: 30_000 } as const;

type StaticInfo = Pick<SystemInformationData, "cpu" | "cpuFlags" | "graphics" | "os">;

interface DynamicInfo {
  mem: SystemInformationData["mem"];
  disk: { path: string; totalBytes: number; freeBytes: number };
  nvidiaSmi: NvidiaSmiResult;
}

let staticInfo: Promise<StaticInfo> | undefined;
let gpuState: { at: number; running: Promise<GpuProbeOutcome> | undefined; lastGood: GpuProbeReport | undefined; lastError?: string } | undefined;
const dynamicCache = new Map<string, { at: number; value: Promise<DynamicInfo> }>();

async function readStatic(): Promise<StaticInfo> {
  const [cpu, cpuFlags, graphics, os] = await Promise.all([si.cpu(), si.cpuFlags(), si.graphics(), si.osInfo()]);
  return {
    cpu,
    cpuFlags,
    graphics: { controllers: graphics.controllers },
    // process.platform/arch, not systeminformation's ("Windows" is not a process.platform value).
    os: { platform: process.platform, arch: process.arch, distro: os.distro, release: os.release },
  };
}

/** Static parts, read once; a failed read is not cached, so the next call tries again. */
function getStatic(): Promise<StaticInfo> {
  staticInfo ??= readStatic().catch((error: unknown) => {
    staticInfo = undefined;
    throw error;
  });
  return staticInfo;
}

/** The file system holding `path`: statfs of the nearest directory that exists (the models dir may not yet). */
async function diskUsage(path: string): Promise<DynamicInfo["disk"]> {
  let dir = resolve(path);
  for (;;) {
    try {
      const stats = await statfs(dir);
      // bavail, not bfree: the blocks reserved for root are not ours to fill with models.
      return { path: resolve(path), totalBytes: stats.blocks * stats.bsize, freeBytes: stats.bavail * stats.bsize };
    } catch (error) {
      const parent = dirname(dir);
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || parent === dir) throw error;
      dir = parent;
    }
  }
}

function getDynamic(modelsDir: string, maxAgeMs: number): Promise<DynamicInfo> {
  const key = resolve(modelsDir);
  const cached = dynamicCache.get(key);
  if (cached && Date.now() - cached.at < maxAgeMs) return cached.value;
  const value = (async () => {
    const [mem, disk, nvidiaSmi] = await Promise.all([si.mem(), diskUsage(modelsDir), queryNvidiaSmi()]);
    return { mem: { total: mem.total, available: mem.available }, disk, nvidiaSmi };
  })();
  dynamicCache.set(key, { at: Date.now(), value });
  value.catch(() => dynamicCache.delete(key));
  return value;
}

/**
 * The GPU probe child's report: run on first use; run again for a fresh free-VRAM figure when the last one
 * is older than `vramMaxAgeMs`, it found GPU devices, and nvidia-smi does not already give free VRAM. A
 * failed rerun keeps the last good report (and says so); a first run that fails is not retried, since a
 * broken driver stays broken and each try costs up to the timeout.
 */
async function getGpuReport(options: Required<Pick<ProbeOptions, "gpuProbeTimeoutMs" | "vramMaxAgeMs" | "runGpuProbe">>, haveSmi: boolean): Promise<{ report: GpuProbeReport | null; warning?: string }> {
  const stale = (state: NonNullable<typeof gpuState>) =>
    state.lastGood !== undefined && state.lastGood.backend !== "none" && state.lastGood.devices.length > 0 && !haveSmi && Date.now() - state.at >= options.vramMaxAgeMs;
  if (gpuState === undefined || (gpuState.running === undefined && stale(gpuState))) {
    const state = gpuState ?? { at: 0, running: undefined, lastGood: undefined };
    gpuState = state;
    state.running = options.runGpuProbe({ timeoutMs: options.gpuProbeTimeoutMs });
    const outcome = await state.running;
    state.running = undefined;
    state.at = Date.now();
    if ("report" in outcome) {
      state.lastGood = outcome.report;
      delete state.lastError;
    } else state.lastError = outcome.error;
  } else if (gpuState.running !== undefined) {
    await gpuState.running;
  }
  const { lastGood, lastError } = gpuState;
  if (lastError === undefined) return { report: lastGood ?? null };
  if (lastGood === undefined) return { report: null, warning: `GPU probe failed, so GPU backends and free VRAM are unknown: ${lastError}` };
  return { report: lastGood, warning: `GPU probe failed, so free VRAM is from an earlier probe: ${lastError}` };
}

/**
 * Probes this machine. Defaults: see {@link ProbeOptions}. Throws only when systeminformation or the
 * disk cannot be read at all; the GPU parts soft-fail into `warnings`.
 */
export async function probeHardware(options: ProbeOptions): Promise<ProbeResult> {
  const maxAgeMs = options.maxAgeMs ?? PROBE_DEFAULTS.maxAgeMs;
  const [fixed, dynamic] = await Promise.all([getStatic(), getDynamic(options.modelsDir, maxAgeMs)]);
  const warnings: string[] = [];
  if (dynamic.nvidiaSmi.warning !== undefined) warnings.push(dynamic.nvidiaSmi.warning);
  let report: GpuProbeReport | null = null;
  if (options.gpuProbe !== false && options.runGpuProbe !== undefined) {
    const smiGpus: NvidiaSmiGpu[] = dynamic.nvidiaSmi.gpus ?? [];
    const gpu = await getGpuReport(
      {
        runGpuProbe: options.runGpuProbe,
        gpuProbeTimeoutMs: options.gpuProbeTimeoutMs ?? PROBE_DEFAULTS.gpuProbeTimeoutMs,
        vramMaxAgeMs: options.vramMaxAgeMs ?? PROBE_DEFAULTS.vramMaxAgeMs,
      },
      smiGpus.length > 0,
    );
    report = gpu.report;
    if (gpu.warning !== undefined) warnings.push(gpu.warning);
  }
  const snapshot = snapshotFromSystemInformation({
    si: { ...fixed, mem: dynamic.mem },
    disk: dynamic.disk,
    gpuReport: report,
    nvidiaSmi: dynamic.nvidiaSmi.gpus,
    // Empty under systemd's ProcSubset=pid (no /proc/cpuinfo); systeminformation's name stands in then.
    kernelCpuModel: cpus()[0]?.model,
    availableParallelism: availableParallelism(),
  });
  return { snapshot, warnings };
}
