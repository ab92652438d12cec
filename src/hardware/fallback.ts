/**
 * A snapshot from Node's own `os` figures, for when the probe cannot read the machine at all: models are
 * then sized for the CPU and the memory free now, which errs on the safe side (no GPU, free rather than
 * available RAM), instead of not loading at all.
 */
import { arch, availableParallelism, freemem, platform, totalmem } from "node:os";
import { HARDWARE_SNAPSHOT_VERSION, type HardwareSnapshot } from "./snapshot.js";

export function fallbackSnapshot(modelsDir: string): HardwareSnapshot {
  const cores = Math.max(1, availableParallelism());
  return {
    version: HARDWARE_SNAPSHOT_VERSION,
    takenAt: new Date().toISOString(),
    source: "probe",
    os: { platform: platform(), arch: arch() },
    cpu: { model: "unknown", physicalCores: cores, logicalCores: cores, simd: [] },
    memory: { totalBytes: totalmem(), availableBytes: freemem() },
    gpus: [],
    disk: { path: modelsDir, totalBytes: 0, freeBytes: 0 },
    backends: [],
  };
}
