/** CPU facts in the form the snapshot keeps them: a readable model name and the SIMD flags llama.cpp uses. */

/**
 * Kernel flag names (x86 /proc/cpuinfo `flags`, ARM `Features`, macOS sysctl) → the names llama.cpp uses.
 * Flags not listed here and not starting with avx512/amx are dropped: the snapshot keeps only what changes
 * how fast (or whether) a llama.cpp binary runs.
 */
const SIMD_NAMES: Readonly<Record<string, string>> = {
  pni: "sse3", // the kernel's name for SSE3 ("Prescott New Instructions")
  sse3: "sse3",
  ssse3: "ssse3",
  sse4_1: "sse4_1",
  "sse4.1": "sse4_1",
  sse4_2: "sse4_2",
  "sse4.2": "sse4_2",
  avx: "avx",
  "avx1.0": "avx", // macOS sysctl machdep.cpu.features
  avx2: "avx2",
  fma: "fma",
  f16c: "f16c",
  avx_vnni: "avx_vnni",
  avx_vnni_int8: "avx_vnni_int8",
  avx_ne_convert: "avx_ne_convert",
  // ARM (Linux /proc/cpuinfo Features)
  asimd: "neon",
  neon: "neon",
  asimddp: "dotprod",
  dotprod: "dotprod",
  asimdhp: "fp16",
  fp16: "fp16",
  i8mm: "i8mm",
  bf16: "bf16",
  sve: "sve",
  sve2: "sve2",
  sme: "sme",
};

/**
 * What every Apple silicon CPU has. macOS exposes no feature list on arm64 that systeminformation reads,
 * so an empty list there would wrongly read as "no NEON".
 */
const APPLE_SILICON_BASELINE = ["neon", "fp16", "dotprod"];

/**
 * The SIMD extensions llama.cpp cares about, lowercase, in the order the kernel lists them, without
 * duplicates. `flags` is a space-separated flag list as systeminformation's `cpuFlags()` returns it.
 */
export function simdFlags(flags: string, platform: string, arch: string): string[] {
  const out: string[] = [];
  for (const raw of flags.toLowerCase().split(/\s+/)) {
    if (raw === "") continue;
    const name = SIMD_NAMES[raw] ?? (raw.startsWith("avx512") || raw.startsWith("amx") ? raw : undefined);
    if (name !== undefined && !out.includes(name)) out.push(name);
  }
  if (out.length === 0 && platform === "darwin" && arch === "arm64") return [...APPLE_SILICON_BASELINE];
  // arm64 mandates NEON (Advanced SIMD); some kernels list only "fp asimd" under other names or nothing.
  if (arch === "arm64" && !out.includes("neon")) out.unshift("neon");
  return out;
}

/** Drops trademark marks and repeated spaces: `Intel(R) Core(TM) i5` → `Intel Core i5`. */
export function cleanName(name: string): string {
  return name
    .replace(/\((?:r|tm|c)\)|[®™©]/gi, "")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * The CPU's readable name. The kernel's own name (`os.cpus()[0].model`, i.e. /proc/cpuinfo `model name`)
 * is preferred because it is what the user sees everywhere else; systeminformation's manufacturer + brand
 * stands in when the kernel gives none (arm64 Linux has no `model name`; under systemd's
 * `ProcSubset=pid` os.cpus() is empty).
 */
export function cpuModelName(kernelName: string | undefined, manufacturer: string, brand: string): string {
  const kernel = cleanName(kernelName ?? "");
  if (kernel !== "" && kernel.toLowerCase() !== "unknown") return kernel;
  const make = cleanName(manufacturer);
  const model = cleanName(brand);
  if (model === "") return make === "" ? "unknown CPU" : `${make} CPU`;
  return make !== "" && !model.toLowerCase().startsWith(make.toLowerCase()) ? `${make} ${model}` : model;
}

/**
 * Core counts that are never 0. `logical` is capped by the CPUs this process may run on
 * (`os.availableParallelism()`: affinity and cgroup cpusets), since that is what inference can use;
 * `physical` falls back to `logical` when systeminformation could not count cores.
 */
export function coreCounts(siPhysical: number, siLogical: number, availableParallelism: number | undefined): { physical: number; logical: number } {
  const usable = availableParallelism !== undefined && availableParallelism > 0 ? availableParallelism : undefined;
  let logical = siLogical > 0 ? siLogical : (usable ?? 1);
  if (usable !== undefined) logical = Math.min(logical, usable);
  const physical = siPhysical > 0 ? Math.min(siPhysical, logical) : logical;
  return { physical: Math.max(1, physical), logical: Math.max(1, logical) };
}
