/**
 * Wiring: the hardware the fit decides from — a saved snapshot (`--hardware FILE`, for simulations) or this
 * machine, probed again on each load so the memory figures are current (the probe caches what does not change).
 */
import type { Logger } from "pino";
import type { Paths } from "../config/paths.js";
import { runGpuProbe } from "../engine/native/client.js";
import { describeHardware } from "../hardware/describe.js";
import { fallbackSnapshot } from "../hardware/fallback.js";
import { loadHardwareSnapshot } from "../hardware/load.js";
import { probeHardware } from "../hardware/probe.js";
import type { HardwareSnapshot } from "../hardware/snapshot.js";

/** Where the hardware comes from (`StartOptions` of main.ts). */
export interface HardwareOptions {
  /** A saved hardware snapshot to act as if on (`serve --hardware FILE`). */
  hardwareFile?: string;
  /** Hardware probe settings (tests turn the GPU probe off to start faster). */
  probe?: { gpuProbe?: boolean };
}

/** The snapshot source; the hardware is logged once, a line per device (in the background for a probe). */
export async function hardwareSource(options: HardwareOptions, paths: Paths, logger: Logger): Promise<() => Promise<HardwareSnapshot>> {
  if (options.hardwareFile !== undefined) {
    const snapshot = await loadHardwareSnapshot(options.hardwareFile);
    logger.warn({ file: options.hardwareFile }, `acting as if on simulated hardware: ${snapshot.source}`);
    for (const line of describeHardware(snapshot)) logger.info(line);
    return () => Promise.resolve(snapshot);
  }
  const probe = () =>
    probeHardware({ modelsDir: paths.modelsDir, runGpuProbe, ...options.probe }).catch((error: unknown) => ({
      snapshot: fallbackSnapshot(paths.modelsDir),
      warnings: [`cannot read the hardware (${(error as Error).message}); sizing models for the CPU and the memory free now`],
    }));
  // Logged once, in the background: the GPU probe takes a few seconds and must not delay listening.
  probe().then(
    ({ snapshot, warnings }) => {
      for (const line of describeHardware(snapshot)) logger.info(line);
      for (const warning of warnings) logger.warn(warning);
    },
    // probe() never rejects: a failure comes back as the fallback snapshot and a warning.
    () => undefined,
  );
  return async () => (await probe()).snapshot;
}
