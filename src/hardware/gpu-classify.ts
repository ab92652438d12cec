/**
 * Deciding what a display controller is: whose it is, whether llama.cpp could compute on it at all, and
 * whether its memory is the system's RAM (unified). Pure functions over names, so each rule is tested
 * with the strings real machines report.
 */
import { cleanName } from "./cpu-features.js";

/** "NVIDIA Corporation" → "NVIDIA", "Advanced Micro Devices, Inc. [AMD/ATI]" → "AMD"; the model helps when the vendor is blank. */
export function normalizeVendor(vendor: string, model = ""): string {
  const text = `${vendor} ${model}`.toLowerCase();
  if (/nvidia|geforce|quadro|tesla|jetson|tegra|\borin\b|xavier/.test(text)) return "NVIDIA";
  if (/advanced micro devices|\bamd\b|\bati\b|radeon|instinct/.test(text)) return "AMD";
  if (/intel/.test(text)) return "Intel";
  if (/apple/.test(text)) return "Apple";
  if (/qualcomm|adreno/.test(text)) return "Qualcomm";
  if (/\bmali\b|\barm\b/.test(text)) return "ARM";
  if (/broadcom|videocore/.test(text)) return "Broadcom";
  const cleaned = cleanName(vendor).replace(/,?\s*(corporation|corp\.?|inc\.?|ltd\.?|co\.)$/i, "");
  return cleaned === "" ? "unknown" : cleaned;
}

/**
 * Display adapters that only draw a console: emulated VM adapters (bochs, QEMU std/virtio, QXL, VMware,
 * VirtualBox, Hyper-V, Cirrus), server BMC graphics (ASPEED, Matrox G200), software renderers. llama.cpp
 * cannot offload to them, and listing one with its few MB of "VRAM" would only mislead the fit.
 */
const DISPLAY_ONLY = /bochs|qemu|virtio|qxl|red hat|vmware|svga|virtualbox|innotek|hyper-v|microsoft basic|cirrus|aspeed|matrox|llvmpipe|lavapipe|softpipe|swiftshader|simple-?framebuffer|efifb|vesa/i;

/**
 * Vendors whose GPUs some llama.cpp backend (CUDA, Vulkan, Metal) can compute on. The Raspberry Pi's
 * VideoCore (Broadcom) is left out on purpose: systeminformation lists it with its firmware memory split,
 * but it has no CUDA or Metal and llama.cpp's Vulkan backend on it is slower than the CPU.
 */
const COMPUTE_VENDORS = new Set(["NVIDIA", "AMD", "Intel", "Apple", "Qualcomm", "ARM"]);

/**
 * True when a controller systeminformation lists counts as a GPU for chaibox. A controller the GPU
 * backend itself named (node-llama-cpp or nvidia-smi saw a device of that name) always counts; this
 * rule decides for the others.
 */
export function isComputeGpu(vendor: string, model: string): boolean {
  if (DISPLAY_ONLY.test(`${vendor} ${model}`)) return false;
  return COMPUTE_VENDORS.has(normalizeVendor(vendor, model));
}

/** A device name node-llama-cpp may report that is the CPU in disguise (Mesa's software Vulkan). */
export function isSoftwareDevice(name: string): boolean {
  return /llvmpipe|lavapipe|softpipe|swiftshader/i.test(name);
}

export interface UnifiedHints {
  vendor: string;
  model: string;
  /** Dedicated VRAM as reported, bytes; null or undefined when unknown. */
  vramBytes?: number | null | undefined;
  /** systeminformation's `vramDynamic`: the OS assigns it memory from RAM. */
  vramDynamic?: boolean | undefined;
}

const GiB = 1024 ** 3;

/**
 * True when the GPU's memory is the system RAM: Apple silicon; NVIDIA Jetson (Tegra/Orin/Xavier); a GPU
 * systeminformation marks `vramDynamic`; Intel integrated graphics (not the Arc, Iris Xe MAX or data-centre
 * discrete cards); AMD APUs, whose "Radeon Graphics" / "Radeon 780M"-style names come with a small BIOS
 * carve-out (at most 2 GiB) rather than real VRAM; ARM Mali and Qualcomm Adreno.
 */
export function isUnifiedMemoryGpu(hints: UnifiedHints): boolean {
  const vendor = normalizeVendor(hints.vendor, hints.model);
  const model = hints.model.toLowerCase();
  if (vendor === "Apple" || vendor === "ARM" || vendor === "Qualcomm") return true;
  if (/jetson|tegra|\borin\b|xavier|nvgpu|\bgb10\b/.test(model)) return true;
  if (hints.vramDynamic === true) return true;
  if (vendor === "Intel") {
    // Discrete Intel: Arc A/B series (A770, B580, Pro A60), Iris Xe MAX (DG1), Data Center GPU Flex/Max.
    // Meteor Lake's integrated GPU is plainly "Intel Arc Graphics", without a model number.
    const discrete = /arc(\(tm\)|™)?\s*(pro\s*)?[ab]\d{2,3}|iris\s*xe\s*max|data center gpu|\bflex\b|\bmax\s*1\d{3}\b/.test(model);
    return !discrete;
  }
  if (vendor === "AMD") {
    if (/\brx\b|radeon\s*pro\s*w|instinct|\bmi\d{2,3}|firepro|vega\s*(56|64)\b|radeon\s*vii/.test(model)) return false;
    // Named APU parts and the codenames lspci gives them (Phoenix1, Rembrandt [Radeon 680M], …).
    const apuModel =
      /vega\s*\d{1,2}\s*graphics|radeon\s*\d{3}m\b|radeon\s*80\d0s|raven|picasso|renoir|lucienne|cezanne|barcelo|rembrandt|mendocino|van gogh|phoenix|hawk point|raphael|granite ridge|strix/.test(
        model,
      );
    if (apuModel) return true;
    // The generic "AMD Radeon(TM) Graphics" is an APU when its memory is a small BIOS carve-out.
    const generic = /radeon(\(tm\)|™)?\s*graphics/.test(model);
    const small = hints.vramBytes === undefined || hints.vramBytes === null || hints.vramBytes <= 2 * GiB;
    return generic && small;
  }
  return false;
}

/**
 * A comparable form of a GPU name: lowercase, without vendor words, trademark marks and punctuation; for
 * lspci names like `GA106 [GeForce RTX 3060 Lite Hash Rate]` the marketing name in brackets.
 */
export function gpuNameKey(name: string): string {
  const bracket = /\[([^\]]+)\]/.exec(name)?.[1];
  return cleanName(bracket ?? name)
    .toLowerCase()
    .replace(/\b(nvidia|corporation|amd|ati|intel|apple|advanced micro devices|inc)\b/g, " ")
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

/** True when two reported names plausibly denote the same GPU model (one key contains the other). */
export function sameGpuName(a: string, b: string): boolean {
  const ka = gpuNameKey(a);
  const kb = gpuNameKey(b);
  if (ka === "" || kb === "") return false;
  return ka === kb || ` ${ka} `.includes(` ${kb} `) || ` ${kb} `.includes(` ${ka} `);
}
