/**
 * A snapshot as readable lines, one per device: `chaibox hw` prints them and `serve` logs them at start.
 * RAM, VRAM and disk are all in decimal units (GB), as disks are sold and as model sizes are shown, so the
 * web UI's screens and the CLI never disagree (25.3 GB on one, 23.5 GiB on another).
 */
import type { Gpu, HardwareSnapshot } from "./snapshot.js";

/** `25276026880` → `25.3 GB`; below 1 GB in MB. Decimal, like disk sizes, so every screen agrees. */
export function formatMemory(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  return `${Math.round(bytes / 1e6)} MB`;
}

/** `270553174016` → `270.6 GB`; decimal units. */
export function formatDisk(bytes: number): string {
  if (bytes >= 1e12) return `${(bytes / 1e12).toFixed(2)} TB`;
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  return `${Math.round(bytes / 1e6)} MB`;
}

/** `4.8e12` → `4.8 TB/s`, `3.6e11` → `360 GB/s`. */
export function formatBandwidth(bytesPerSecond: number): string {
  if (bytesPerSecond >= 1e12) return `${(bytesPerSecond / 1e12).toFixed(1)} TB/s`;
  return `${Math.round(bytesPerSecond / 1e9)} GB/s`;
}

function gpuLine(gpu: Gpu): string {
  const parts = [gpu.model];
  if (gpu.unified) parts.push(`unified memory (shares the ${formatMemory(gpu.vramTotalBytes)} of RAM)`);
  else parts.push(gpu.vramTotalBytes > 0 ? `${formatMemory(gpu.vramTotalBytes)} VRAM` : "VRAM size unknown");
  parts.push(gpu.vramFreeBytes === null ? "free VRAM unknown" : `${formatMemory(gpu.vramFreeBytes)} free`);
  if (gpu.bandwidthBytesPerSecond !== undefined) parts.push(formatBandwidth(gpu.bandwidthBytesPerSecond));
  return `GPU: ${parts.join(", ")}`;
}

/**
 * The snapshot as lines: a "Simulated" line for a saved snapshot, then CPU, RAM, one line per GPU (or
 * `GPU: none (CPU only)`), disk, GPU backends and OS.
 */
export function describeHardware(snapshot: HardwareSnapshot): string[] {
  const { cpu, memory, disk, os } = snapshot;
  const lines: string[] = [];
  if (snapshot.source !== "probe") lines.push(`Simulated: ${snapshot.source} (snapshot taken ${snapshot.takenAt})`);
  const cores = cpu.physicalCores === cpu.logicalCores ? `${cpu.physicalCores} cores` : `${cpu.physicalCores} cores, ${cpu.logicalCores} threads`;
  lines.push(`CPU: ${cpu.model}, ${cores}; SIMD: ${cpu.simd.length > 0 ? cpu.simd.join(" ") : "none"}`);
  const bandwidth = memory.bandwidthBytesPerSecond !== undefined ? `, ${formatBandwidth(memory.bandwidthBytesPerSecond)}` : "";
  lines.push(`RAM: ${formatMemory(memory.totalBytes)} total, ${formatMemory(memory.availableBytes)} available${bandwidth}`);
  if (snapshot.gpus.length === 0) lines.push("GPU: none (CPU only)");
  else lines.push(...snapshot.gpus.map(gpuLine));
  lines.push(`Disk: ${formatDisk(disk.freeBytes)} free of ${formatDisk(disk.totalBytes)} (${disk.path})`);
  lines.push(`GPU backends: ${snapshot.backends.length > 0 ? snapshot.backends.join(", ") : "none (llama.cpp runs on the CPU)"}`);
  const system = [os.distro, os.release].filter((s) => s !== undefined && s !== "").join(" ");
  lines.push(`OS: ${system !== "" ? `${system}, ` : ""}${os.platform} ${os.arch}`);
  return lines;
}

/** The GPU a person would name: "NVIDIA graphics", "Intel graphics", or none. */
function graphicsWords(snapshot: HardwareSnapshot): string | undefined {
  const gpu = snapshot.gpus[0];
  if (gpu === undefined) return undefined;
  const vram = !gpu.unified && gpu.vramTotalBytes > 0 ? ` with ${formatMemory(gpu.vramTotalBytes)}` : "";
  return `${gpu.vendor} graphics${vram}`;
}

/**
 * The box in one plain sentence, for people: "4 cores, 16.8 GB memory, Intel graphics: models up to about
 * 8B parameters run well". `abilities` is the second half (models/planning/preselect.ts says it from fit).
 */
export function hardwareSummary(snapshot: HardwareSnapshot, abilities: string): string {
  const parts = [`${snapshot.cpu.physicalCores} cores`, `${formatMemory(snapshot.memory.totalBytes)} memory`];
  const graphics = graphicsWords(snapshot);
  if (graphics !== undefined) parts.push(graphics);
  return `${parts.join(", ")}: ${abilities}`;
}
