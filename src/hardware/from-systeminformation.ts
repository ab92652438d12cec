/**
 * systeminformation's output (+ what the GPU backend and nvidia-smi say) → a {@link HardwareSnapshot}.
 * Pure: probe.ts gathers the inputs, this decides what they mean, so a test can feed it a real dump from
 * a machine it does not run on.
 */
import { HARDWARE_SNAPSHOT_VERSION, type Gpu, type GpuBackend, type HardwareSnapshot } from "./snapshot.js";
import { coreCounts, cpuModelName, cleanName, simdFlags } from "./cpu-features.js";
import { gpuNameKey, isComputeGpu, isSoftwareDevice, isUnifiedMemoryGpu, normalizeVendor, sameGpuName } from "./gpu-classify.js";
import type { GpuProbeReport } from "./gpu-report.js";
import { knownGpuBandwidth } from "./known-bandwidth.js";

const MiB = 1024 * 1024;

/** The parts of systeminformation's results the snapshot uses (a subset of its own types). */
export interface SystemInformationData {
  cpu: { manufacturer: string; brand: string; cores: number; physicalCores: number; flags?: string };
  /** `si.cpuFlags()`; falls back to `cpu.flags`. */
  cpuFlags?: string;
  mem: { total: number; available: number };
  graphics: { controllers: SiController[] };
  os: { platform: string; arch: string; distro?: string; release?: string };
}

/** One entry of `si.graphics().controllers`. `vram`, `memoryTotal` and `memoryFree` are in MiB. */
export interface SiController {
  vendor: string;
  model: string;
  name?: string;
  vram?: number | null;
  vramDynamic?: boolean;
  memoryTotal?: number;
  memoryFree?: number;
}

/** One line of `nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader,nounits`, in bytes. */
export interface NvidiaSmiGpu {
  name: string;
  totalBytes: number;
  freeBytes: number;
}

export interface SnapshotInputs {
  si: SystemInformationData;
  disk: { path: string; totalBytes: number; freeBytes: number };
  /** The GPU probe child's report; null or absent when it was not run or failed. */
  gpuReport?: GpuProbeReport | null | undefined;
  /** nvidia-smi's per-GPU figures; null or absent when it is not installed. */
  nvidiaSmi?: NvidiaSmiGpu[] | null | undefined;
  /** `os.cpus()[0]?.model`: the kernel's CPU name, preferred over systeminformation's. */
  kernelCpuModel?: string | undefined;
  /** `os.availableParallelism()`: caps the core counts to what this process may use. */
  availableParallelism?: number | undefined;
  /** Default: now. */
  takenAt?: string;
  /** Default: "probe". */
  source?: string;
}

/** A GPU while it is being assembled: the snapshot's fields plus where each figure came from. */
interface Candidate {
  vendor: string;
  model: string;
  vramBytes: number | null;
  freeBytes: number | null;
  vramDynamic: boolean;
  smi?: NvidiaSmiGpu;
  device?: string;
}

/** Converts gathered facts into a snapshot (see the module comment). */
export function snapshotFromSystemInformation(inputs: SnapshotInputs): HardwareSnapshot {
  const { si } = inputs;
  const cores = coreCounts(si.cpu.physicalCores, si.cpu.cores, inputs.availableParallelism);
  const memory = { totalBytes: Math.max(0, Math.round(si.mem.total)), availableBytes: Math.max(0, Math.round(si.mem.available)) };
  const backend = usableBackend(inputs.gpuReport);
  const report = backend !== undefined ? inputs.gpuReport : null;
  const gpus = assembleGpus(inputs, report).map((c) => toGpu(c, memory, ownVram(report, c)));
  const unifiedBandwidth = gpus.find((g) => g.unified && g.bandwidthBytesPerSecond !== undefined)?.bandwidthBytesPerSecond;
  return {
    version: HARDWARE_SNAPSHOT_VERSION,
    takenAt: inputs.takenAt ?? new Date().toISOString(),
    source: inputs.source ?? "probe",
    os: {
      platform: si.os.platform,
      arch: si.os.arch,
      ...(si.os.distro ? { distro: si.os.distro } : {}),
      ...(si.os.release ? { release: si.os.release } : {}),
    },
    cpu: {
      model: cpuModelName(inputs.kernelCpuModel, si.cpu.manufacturer, si.cpu.brand),
      physicalCores: cores.physical,
      logicalCores: cores.logical,
      simd: simdFlags(inputs.si.cpuFlags ?? si.cpu.flags ?? "", si.os.platform, si.os.arch),
    },
    // On a unified machine the GPU's published bandwidth is the memory's: one pool, one bus.
    memory: { ...memory, ...(unifiedBandwidth !== undefined ? { bandwidthBytesPerSecond: unifiedBandwidth } : {}) },
    gpus,
    disk: { path: inputs.disk.path, totalBytes: Math.round(inputs.disk.totalBytes), freeBytes: Math.round(inputs.disk.freeBytes) },
    backends: backend !== undefined ? [backend] : [],
  };
}

/** The backend the GPU probe found a real device on, if any. */
function usableBackend(report: GpuProbeReport | null | undefined): GpuBackend | undefined {
  if (!report || report.backend === "none") return undefined;
  // Metal always has the one device of the Mac; other backends must name a device that is not a CPU.
  if (report.backend === "metal") return "metal";
  return report.devices.some((d) => !isSoftwareDevice(d)) ? report.backend : undefined;
}

/**
 * The probe report's VRAM figures when they are this GPU's own: getVramState() sums every device of the
 * backend, so it describes one GPU only when the backend has exactly one device (and it is this one).
 */
function ownVram(report: GpuProbeReport | null | undefined, candidate: Candidate): { total: number; free: number } | undefined {
  if (!report || candidate.device === undefined) return undefined;
  return report.devices.filter((d) => !isSoftwareDevice(d)).length === 1 ? report.vram : undefined;
}

/**
 * The GPUs: systeminformation's controllers that are compute GPUs or that nvidia-smi / the GPU backend
 * named, then any device those two saw that systeminformation missed (containers without lspci,
 * Jetson's non-PCI GPU). Each nvidia-smi row and backend device is matched by name to at most one GPU.
 */
function assembleGpus(inputs: SnapshotInputs, report: GpuProbeReport | null | undefined): Candidate[] {
  const smiRows = [...(inputs.nvidiaSmi ?? [])];
  const devices = report ? report.devices.filter((d) => !isSoftwareDevice(d)) : [];
  const takeSmi = (model: string) => takeMatch(smiRows, (row) => row.name, model);
  const takeDevice = (model: string) => takeMatch(devices, (device) => device, model);

  const candidates: Candidate[] = [];
  for (const controller of inputs.si.graphics.controllers) {
    const model = cleanName(controller.model || controller.name || "");
    const smi = takeSmi(model);
    const device = takeDevice(model);
    if (smi === undefined && device === undefined && !isComputeGpu(controller.vendor, model)) continue;
    const totalMiB = controller.memoryTotal ?? controller.vram ?? null;
    candidates.push({
      vendor: normalizeVendor(controller.vendor, model),
      model: model === "" ? "unknown GPU" : model,
      vramBytes: totalMiB !== null && totalMiB > 0 ? totalMiB * MiB : null,
      freeBytes: controller.memoryFree !== undefined ? controller.memoryFree * MiB : null,
      vramDynamic: controller.vramDynamic === true,
      ...(smi !== undefined && { smi }),
      ...(device !== undefined && { device }),
    });
  }
  for (const smi of smiRows) {
    const device = takeDevice(smi.name);
    candidates.push({ vendor: "NVIDIA", model: cleanName(smi.name), vramBytes: null, freeBytes: null, vramDynamic: false, smi, ...(device !== undefined && { device }) });
  }
  // A lone GPU and a lone device of the same vendor are the same card even when lspci's name for it
  // (a chip codename) shares no word with the driver's marketing name.
  const unmatched = candidates.filter((c) => c.device === undefined);
  const [onlyCandidate] = unmatched;
  const [onlyDevice] = devices;
  if (unmatched.length === 1 && devices.length === 1 && onlyCandidate && onlyDevice && normalizeVendor("", onlyDevice) === onlyCandidate.vendor) {
    onlyCandidate.device = onlyDevice;
    devices.length = 0;
  }
  for (const device of devices) {
    candidates.push({ vendor: normalizeVendor("", device), model: cleanName(device), vramBytes: null, freeBytes: null, vramDynamic: false, device });
  }
  return candidates;
}

/**
 * Removes and returns the entry whose name denotes `model`: an exact name first, so an "RTX 3060" is not
 * paired with the "RTX 3060 Ti" next to it while its own entry is still there.
 */
function takeMatch<T>(list: T[], nameOf: (item: T) => string, model: string): T | undefined {
  const key = gpuNameKey(model);
  let index = list.findIndex((item) => key !== "" && gpuNameKey(nameOf(item)) === key);
  if (index < 0) index = list.findIndex((item) => sameGpuName(nameOf(item), model));
  return index < 0 ? undefined : list.splice(index, 1)[0];
}

/**
 * Picks each GPU's figures, most reliable first. Total VRAM: nvidia-smi (the driver), then the GPU backend
 * (what llama.cpp allocates against), then systeminformation. Free VRAM: nvidia-smi, then the backend;
 * systeminformation only has it when it ran nvidia-smi itself. A unified GPU's VRAM is the shared RAM
 * pool (memory.totalBytes), and its free part never exceeds the RAM that is available.
 */
function toGpu(c: Candidate, memory: { totalBytes: number; availableBytes: number }, backendVram: { total: number; free: number } | undefined): Gpu {
  const unified = isUnifiedMemoryGpu({ vendor: c.vendor, model: c.model, vramBytes: c.vramBytes, vramDynamic: c.vramDynamic });
  const fromBackend = backendVram !== undefined && backendVram.total > 0 ? backendVram : undefined;
  let total = c.smi?.totalBytes ?? fromBackend?.total ?? c.vramBytes;
  let free = c.smi?.freeBytes ?? fromBackend?.free ?? c.freeBytes;
  if (unified) {
    total = memory.totalBytes;
    free = free !== null ? Math.min(free, memory.availableBytes) : memory.availableBytes;
  }
  const vramTotalBytes = Math.max(0, Math.round(total ?? 0));
  // The driver's names are marketing names ("NVIDIA GeForce RTX 3060"); lspci's often lead with a chip
  // codename ("GA106 [GeForce RTX 3060 Lite Hash Rate]").
  const name = cleanName(c.smi?.name ?? c.device ?? c.model);
  const bandwidth = knownGpuBandwidth(name, vramTotalBytes);
  return {
    vendor: c.vendor,
    model: name.toLowerCase().startsWith(c.vendor.toLowerCase()) ? name : `${c.vendor} ${name}`,
    vramTotalBytes,
    vramFreeBytes: free === null ? null : Math.max(0, Math.round(free)),
    unified,
    ...(bandwidth !== undefined ? { bandwidthBytesPerSecond: bandwidth } : {}),
  };
}
