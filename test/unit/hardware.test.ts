/** The hardware probe's pure parts: fixtures, the real H200 dump, GPU classification, describe and load. */
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { Value } from "@sinclair/typebox/value";
import { describe, expect, it } from "vitest";
import { hardwareRoutes } from "../../src/api/admin/hardware.js";
import { simdFlags, coreCounts, cpuModelName } from "../../src/hardware/cpu-features.js";
import { describeHardware } from "../../src/hardware/describe.js";
import { fallbackSnapshot } from "../../src/hardware/fallback.js";
import { snapshotFromSystemInformation, type SystemInformationData } from "../../src/hardware/from-systeminformation.js";
import { isComputeGpu, isUnifiedMemoryGpu, normalizeVendor, sameGpuName } from "../../src/hardware/gpu-classify.js";
import { parseGpuProbeOutput, GPU_PROBE_MARKER } from "../../src/engine/native/gpu-probe-wire.js";
import type { GpuProbeReport } from "../../src/hardware/gpu-report.js";
import { loadHardwareSnapshot } from "../../src/hardware/load.js";
import { parseNvidiaSmi } from "../../src/hardware/nvidia-smi.js";
import { probeHardware } from "../../src/hardware/probe.js";
import { HardwareSnapshotSchema, type HardwareSnapshot } from "../../src/hardware/snapshot.js";
import { ChaiboxError } from "../../src/errors.js";

const fixtures = new URL("../fixtures/hardware/", import.meta.url).pathname;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

async function fixture(name: string): Promise<HardwareSnapshot> {
  return JSON.parse(await readFile(join(fixtures, `${name}.json`), "utf8")) as HardwareSnapshot;
}

interface Dump extends SystemInformationData {
  fsSize: { size: number; available: number }[];
}

async function h200Dump(): Promise<Dump> {
  return JSON.parse(await readFile(join(fixtures, "dumps/nvidia-h200-systeminformation.json"), "utf8")) as Dump;
}

function diskOf(dump: Dump) {
  return { path: "/var/lib/chaibox/models", totalBytes: dump.fsSize[0]!.size, freeBytes: dump.fsSize[0]!.available };
}

/** What the GPU probe child reported on that machine (shared/notes/node-llama-cpp.md). */
const h200Report: GpuProbeReport = {
  backend: "cuda",
  supported: ["cuda", "vulkan", "none"],
  devices: ["NVIDIA H200"],
  vram: { total: 150_754_820_096, used: 662_110_208, free: 150_754_820_096 - 662_110_208, unifiedSize: 0 },
};

describe("hardware fixtures", () => {
  it("cover the machines of the issue, and every one is a valid snapshot", async () => {
    const names = (await readdir(fixtures)).filter((f) => f.endsWith(".json")).sort();
    expect(names).toEqual(
      expect.arrayContaining(["intel-n100-16gb", "jetson-orin-nano-8gb", "mac-mini-m4-16gb", "nvidia-h200-141gb", "raspberry-pi-5-8gb", "rtx-3060-12gb", "rtx-4090-24gb", "x86-4gb-cpu"].map((n) => `${n}.json`)),
    );
    for (const name of names) {
      const snapshot = await loadHardwareSnapshot(join(fixtures, name));
      expect(Value.Check(HardwareSnapshotSchema, snapshot), name).toBe(true);
      expect(snapshot.source, name).not.toBe("probe");
      expect(snapshot.memory.bandwidthBytesPerSecond, name).toBeGreaterThan(0);
      for (const gpu of snapshot.gpus) {
        expect(gpu.bandwidthBytesPerSecond, name).toBeGreaterThan(0);
        // Unified GPUs report the RAM pool, as the probe does.
        if (gpu.unified) expect(gpu.vramTotalBytes, name).toBe(snapshot.memory.totalBytes);
      }
    }
  });

  it("describe the machines the issue lists", async () => {
    const pi = await fixture("raspberry-pi-5-8gb");
    expect(pi.gpus).toEqual([]);
    expect(pi.backends).toEqual([]);
    expect(pi.os.arch).toBe("arm64");
    const n100 = await fixture("intel-n100-16gb");
    expect(n100.gpus.map((g) => [g.vendor, g.unified])).toEqual([["Intel", true]]);
    expect(n100.backends).toEqual(["vulkan"]);
    expect((await fixture("rtx-3060-12gb")).gpus[0]).toMatchObject({ vramTotalBytes: 12 * GiB, unified: false, bandwidthBytesPerSecond: 360e9 });
    expect((await fixture("rtx-4090-24gb")).gpus[0]).toMatchObject({ vramTotalBytes: 24564 * MiB, unified: false, bandwidthBytesPerSecond: 1008e9 });
    expect((await fixture("jetson-orin-nano-8gb")).gpus[0]).toMatchObject({ unified: true, bandwidthBytesPerSecond: 68e9 });
    const mac = await fixture("mac-mini-m4-16gb");
    expect(mac.gpus[0]).toMatchObject({ vendor: "Apple", unified: true, vramTotalBytes: 16 * GiB });
    expect(mac.backends).toEqual(["metal"]);
    const small = await fixture("x86-4gb-cpu");
    expect(small.memory.totalBytes).toBeLessThan(4 * GiB);
    expect(small.gpus).toEqual([]);
    expect(small.cpu.simd).not.toContain("avx");
  });
});

describe("the real H200 systeminformation dump", () => {
  it("converts from systeminformation alone: CPU, RAM, and the GPU with no free-VRAM figure", async () => {
    const dump = await h200Dump();
    const snapshot = snapshotFromSystemInformation({ si: dump, disk: diskOf(dump), takenAt: "2026-11-20T10:00:00.000Z" });
    expect(Value.Check(HardwareSnapshotSchema, snapshot)).toBe(true);
    expect(snapshot.source).toBe("probe");
    expect(snapshot.cpu.model).toBe("Intel Xeon Processor");
    expect(snapshot.cpu.physicalCores).toBe(16);
    expect(snapshot.cpu.logicalCores).toBe(16);
    // pni is the kernel's name for SSE3; non-SIMD flags (aes, bmi2, sha_ni…) are dropped.
    expect(snapshot.cpu.simd).toEqual(expect.arrayContaining(["sse3", "ssse3", "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8", "amx_bf16", "avx512_fp16"]));
    for (const dropped of ["pni", "aes", "bmi2", "sha_ni", "fpu", "ht"]) expect(snapshot.cpu.simd).not.toContain(dropped);
    expect(snapshot.memory).toEqual({ totalBytes: 135_148_564_480, availableBytes: 134_466_580_480 });
    expect(snapshot.gpus).toHaveLength(1);
    const gpu = snapshot.gpus[0]!;
    expect(gpu).toMatchObject({ vendor: "NVIDIA", model: "NVIDIA H200", unified: false, vramFreeBytes: null, bandwidthBytesPerSecond: 4.8e12 });
    expect(gpu.vramTotalBytes).toBe(143_156 * MiB);
    expect(gpu.vramTotalBytes / 1e9).toBeGreaterThan(140);
    expect(gpu.vramTotalBytes / 1e9).toBeLessThan(152);
    // No GPU probe: nothing says which backend works.
    expect(snapshot.backends).toEqual([]);
    expect(snapshot.disk).toEqual({ path: "/var/lib/chaibox/models", totalBytes: 270_553_174_016, freeBytes: 64_631_775_232 });
  });

  it("with the GPU probe's getVramState() gives the fixture's GPU, CPU and RAM", async () => {
    const dump = await h200Dump();
    const snapshot = snapshotFromSystemInformation({ si: dump, disk: diskOf(dump), gpuReport: h200Report });
    const expected = await fixture("nvidia-h200-141gb");
    expect(snapshot.gpus).toEqual(expected.gpus);
    expect(snapshot.cpu).toEqual(expected.cpu);
    expect(snapshot.backends).toEqual(expected.backends);
    expect(snapshot.disk).toEqual(expected.disk);
    expect(snapshot.os).toEqual(expected.os);
    const { bandwidthBytesPerSecond: _hostBandwidth, ...memory } = expected.memory;
    expect(snapshot.memory).toEqual(memory);
  });

  it("prefers nvidia-smi's per-GPU figures", async () => {
    const dump = await h200Dump();
    const nvidiaSmi = parseNvidiaSmi("NVIDIA H200, 143771, 143100\n");
    const snapshot = snapshotFromSystemInformation({ si: dump, disk: diskOf(dump), gpuReport: h200Report, nvidiaSmi });
    expect(snapshot.gpus).toHaveLength(1);
    expect(snapshot.gpus[0]).toMatchObject({ vramTotalBytes: 143_771 * MiB, vramFreeBytes: 143_100 * MiB });
  });
});

describe("GPU and CPU classification", () => {
  const desktop = (): SystemInformationData => ({
    cpu: { manufacturer: "AMD", brand: "Ryzen 5 5600X 6-Core Processor", cores: 12, physicalCores: 6 },
    mem: { total: 32 * GiB, available: 30 * GiB },
    graphics: { controllers: [] },
    os: { platform: "linux", arch: "x64" },
  });
  const base = (controllers: SystemInformationData["graphics"]["controllers"], report?: GpuProbeReport): HardwareSnapshot =>
    snapshotFromSystemInformation({
      si: {
        cpu: { manufacturer: "Intel", brand: "N100", cores: 4, physicalCores: 4 },
        cpuFlags: "fpu pni ssse3 avx avx2",
        mem: { total: 16 * GiB, available: 15 * GiB },
        graphics: { controllers },
        os: { platform: "linux", arch: "x64" },
      },
      disk: { path: "/m", totalBytes: 1e12, freeBytes: 5e11 },
      gpuReport: report,
    });

  it("knows unified memory when it sees it", () => {
    const unified = (vendor: string, model: string, vramMiB: number | null = null, vramDynamic = false) =>
      isUnifiedMemoryGpu({ vendor, model, vramBytes: vramMiB === null ? null : vramMiB * MiB, vramDynamic });
    expect(unified("Apple", "Apple M4", null, true)).toBe(true);
    expect(unified("NVIDIA", "Orin (nvgpu)")).toBe(true);
    expect(unified("NVIDIA", "NVIDIA Tegra X1")).toBe(true);
    expect(unified("Intel Corporation", "Alder Lake-N [UHD Graphics]", 256)).toBe(true);
    expect(unified("Intel Corporation", "Meteor Lake-P [Intel Arc Graphics]")).toBe(true);
    expect(unified("Intel Corporation", "DG2 [Arc A770]", 16384)).toBe(false);
    expect(unified("Intel", "Intel(R) Arc(TM) B580 Graphics", 12288)).toBe(false);
    expect(unified("Advanced Micro Devices, Inc. [AMD/ATI]", "AMD Radeon(TM) Graphics", 512)).toBe(true);
    expect(unified("Advanced Micro Devices, Inc. [AMD/ATI]", "Phoenix1", 512)).toBe(true);
    expect(unified("Advanced Micro Devices, Inc. [AMD/ATI]", "AMD Radeon Graphics", 16384)).toBe(false);
    expect(unified("Advanced Micro Devices, Inc. [AMD/ATI]", "Navi 31 [Radeon RX 7900 XTX]", 24576)).toBe(false);
    expect(unified("NVIDIA Corporation", "NVIDIA GeForce RTX 3060", 12288)).toBe(false);
    expect(unified("NVIDIA Corporation", "NVIDIA H200", 143156)).toBe(false);
    expect(unified("Some Vendor", "Some GPU", 1024, true)).toBe(true);
  });

  it("leaves out display-only adapters unless the GPU backend names them", () => {
    expect(isComputeGpu("Red Hat, Inc.", "Virtio 1.0 GPU")).toBe(false);
    expect(isComputeGpu("", "bochs-drm")).toBe(false);
    expect(isComputeGpu("ASPEED Technology, Inc.", "ASPEED Graphics Family")).toBe(false);
    expect(isComputeGpu("Matrox Electronics Systems Ltd.", "Integrated Matrox G200eW3 Graphics Controller")).toBe(false);
    expect(isComputeGpu("Broadcom", "VideoCore VII")).toBe(false);
    expect(isComputeGpu("NVIDIA Corporation", "GA106 [GeForce RTX 3060 Lite Hash Rate]")).toBe(true);
    expect(base([{ vendor: "Red Hat, Inc.", model: "Virtio 1.0 GPU", vram: 16 }]).gpus).toEqual([]);
    expect(base([{ vendor: "Broadcom", model: "VideoCore VII", vram: 8, vramDynamic: true }]).gpus).toEqual([]);
    // The Pi's VideoCore counts once the Vulkan backend really computes on it.
    const v3d: GpuProbeReport = { backend: "vulkan", supported: ["vulkan", "none"], devices: ["V3D 7.1.7.0 VideoCore VII"], vram: { total: 0, used: 0, free: 0, unifiedSize: 0 } };
    expect(base([{ vendor: "Broadcom", model: "VideoCore VII", vram: 8, vramDynamic: true }], v3d).gpus).toHaveLength(1);
  });

  it("matches backend devices to controllers by name and adds the ones systeminformation missed", () => {
    expect(sameGpuName("GA106 [GeForce RTX 3060 Lite Hash Rate]", "NVIDIA GeForce RTX 3060")).toBe(true);
    expect(sameGpuName("NVIDIA GeForce RTX 3090", "NVIDIA GeForce RTX 3060")).toBe(false);
    const rtx: GpuProbeReport = { backend: "cuda", supported: ["cuda", "none"], devices: ["NVIDIA GeForce RTX 3060"], vram: { total: 12 * GiB, used: 300 * MiB, free: 12 * GiB - 300 * MiB, unifiedSize: 0 } };
    const matched = base([{ vendor: "NVIDIA Corporation", model: "GA106 [GeForce RTX 3060 Lite Hash Rate]", vram: 12288 }], rtx);
    expect(matched.gpus).toEqual([
      { vendor: "NVIDIA", model: "NVIDIA GeForce RTX 3060", vramTotalBytes: 12 * GiB, vramFreeBytes: 12 * GiB - 300 * MiB, unified: false, bandwidthBytesPerSecond: 360e9 },
    ]);
    expect(matched.backends).toEqual(["cuda"]);
    // Two cards whose names contain one another: each gets its own nvidia-smi row (exact names first).
    const twoCards = snapshotFromSystemInformation({
      si: { ...desktop(), graphics: { controllers: [{ vendor: "NVIDIA", model: "NVIDIA GeForce RTX 3060 Ti", vram: 8192 }, { vendor: "NVIDIA", model: "NVIDIA GeForce RTX 3060", vram: 12288 }] } },
      disk: { path: "/m", totalBytes: 1, freeBytes: 1 },
      nvidiaSmi: parseNvidiaSmi("NVIDIA GeForce RTX 3060, 12288, 12000\nNVIDIA GeForce RTX 3060 Ti, 8192, 8000\n"),
    });
    expect(twoCards.gpus.map((g) => [g.model, g.vramFreeBytes])).toEqual([
      ["NVIDIA GeForce RTX 3060 Ti", 8000 * MiB],
      ["NVIDIA GeForce RTX 3060", 12000 * MiB],
    ]);
    // Jetson: no PCI GPU for lspci, only the CUDA device.
    const orin: GpuProbeReport = { backend: "cuda", supported: ["cuda", "none"], devices: ["Orin"], vram: { total: 7 * GiB, used: 1 * GiB, free: 6 * GiB, unifiedSize: 7 * GiB } };
    const jetson = base([], orin);
    expect(jetson.gpus).toEqual([{ vendor: "NVIDIA", model: "NVIDIA Orin", vramTotalBytes: 16 * GiB, vramFreeBytes: 6 * GiB, unified: true }]);
    // Mesa's software Vulkan device is the CPU, not a GPU backend.
    const llvmpipe: GpuProbeReport = { backend: "vulkan", supported: ["vulkan", "none"], devices: ["llvmpipe (LLVM 15.0.6, 256 bits)"], vram: { total: 0, used: 0, free: 0, unifiedSize: 0 } };
    expect(base([], llvmpipe)).toMatchObject({ gpus: [], backends: [] });
  });

  it("keeps the SIMD flags llama.cpp uses and never reports zero cores", () => {
    expect(simdFlags("fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp", "linux", "arm64")).toEqual(["neon", "fp16", "dotprod"]);
    expect(simdFlags("", "darwin", "arm64")).toEqual(["neon", "fp16", "dotprod"]);
    expect(simdFlags("", "linux", "x64")).toEqual([]);
    expect(simdFlags("SSE3 SSSE3 SSE4.1 SSE4.2 AVX1.0 FMA", "darwin", "x64")).toEqual(["sse3", "ssse3", "sse4_1", "sse4_2", "avx", "fma"]);
    expect(coreCounts(0, 0, undefined)).toEqual({ physical: 1, logical: 1 });
    expect(coreCounts(0, 0, 4)).toEqual({ physical: 4, logical: 4 });
    expect(coreCounts(8, 16, 16)).toEqual({ physical: 8, logical: 16 });
    // A container limited to 2 CPUs of a 64-core host can use 2.
    expect(coreCounts(64, 128, 2)).toEqual({ physical: 2, logical: 2 });
    expect(cpuModelName("Intel(R) Core(TM) i5-12400", "Intel", "Core™ i5-12400")).toBe("Intel Core i5-12400");
    expect(cpuModelName(undefined, "Intel", "Xeon® Processor")).toBe("Intel Xeon Processor");
    expect(cpuModelName("unknown", "ARM", "Cortex-A76")).toBe("ARM Cortex-A76");
    expect(normalizeVendor("Advanced Micro Devices, Inc. [AMD/ATI]")).toBe("AMD");
  });

  it("reads nvidia-smi and the GPU probe's output defensively", () => {
    expect(parseNvidiaSmi("NVIDIA GeForce RTX 4090, 24564, 24210\nOrin (nvgpu), [N/A], [N/A]\n\n")).toEqual([{ name: "NVIDIA GeForce RTX 4090", totalBytes: 24564 * MiB, freeBytes: 24210 * MiB }]);
    expect(parseGpuProbeOutput(`llama.cpp says hi\n${GPU_PROBE_MARKER}${JSON.stringify(h200Report)}\n`)).toEqual({ report: h200Report });
    expect(parseGpuProbeOutput(`${GPU_PROBE_MARKER}{"error":"NoBinaryFoundError"}`)).toEqual({ error: "NoBinaryFoundError" });
    expect(parseGpuProbeOutput("Segmentation fault")).toHaveProperty("error");
    expect(parseGpuProbeOutput(`${GPU_PROBE_MARKER}{"backend":"quantum"}`)).toHaveProperty("error");
  });
});

describe("describeHardware", () => {
  it("says there is no GPU on a CPU-only machine", async () => {
    const lines = describeHardware(await fixture("raspberry-pi-5-8gb"));
    expect(lines).toEqual([
      "Simulated: Raspberry Pi 5 8 GB (snapshot taken 2026-11-20T10:00:00.000Z)",
      "CPU: Cortex-A76, 4 cores; SIMD: neon fp16 dotprod",
      "RAM: 8.4 GB total, 7.9 GB available, 17 GB/s",
      "GPU: none (CPU only)",
      "Disk: 221.6 GB free of 250.4 GB (/var/lib/chaibox/models)",
      "GPU backends: none (llama.cpp runs on the CPU)",
      "OS: Debian GNU/Linux 12, linux arm64",
    ]);
  });

  it("gives one line per GPU with its VRAM, unified or not", async () => {
    const h200 = describeHardware(await fixture("nvidia-h200-141gb"));
    expect(h200).toContain("GPU: NVIDIA H200, 150.8 GB VRAM, 150.1 GB free, 4.8 TB/s");
    expect(h200).toContain("GPU backends: cuda");
    expect(h200).toContain("CPU: Intel Xeon Processor, 16 cores; SIMD: " + (await fixture("nvidia-h200-141gb")).cpu.simd.join(" "));
    expect(describeHardware(await fixture("mac-mini-m4-16gb"))).toContain("GPU: Apple M4, unified memory (shares the 17.2 GB of RAM), 10.5 GB free, 120 GB/s");
    expect(describeHardware(await fixture("rtx-3060-12gb"))).toContain("CPU: AMD Ryzen 5 5600X 6-Core Processor, 6 cores, 12 threads; SIMD: sse3 ssse3 fma sse4_1 sse4_2 avx f16c avx2");
    const unknownFree = { ...(await fixture("rtx-3060-12gb")) };
    unknownFree.gpus = [{ ...unknownFree.gpus[0]!, vramFreeBytes: null }];
    expect(describeHardware(unknownFree)).toContain("GPU: NVIDIA GeForce RTX 3060, 12.9 GB VRAM, free VRAM unknown, 360 GB/s");
  });
});

describe("loadHardwareSnapshot", () => {
  async function write(data: unknown): Promise<string> {
    const file = join(await mkdtemp(join(tmpdir(), "chaibox-hw-")), "snapshot.json");
    await writeFile(file, typeof data === "string" ? data : JSON.stringify(data));
    return file;
  }

  async function problems(data: unknown): Promise<string[]> {
    const error = await loadHardwareSnapshot(await write(data)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChaiboxError);
    return ((error as ChaiboxError).details.problems as string[] | undefined) ?? [(error as ChaiboxError).message];
  }

  it("refuses bad data, listing every problem", async () => {
    const bad = structuredClone(await fixture("rtx-3060-12gb")) as unknown as Record<string, Record<string, unknown> & unknown[]>;
    bad.memory!.totalBytes = "32 GB";
    bad.cpu!.physicalCores = 0;
    (bad.gpus![0] as Record<string, unknown>).vramFreeBytes = -1;
    (bad.backends as unknown[]).push("opencl");
    bad.disk!.colour = "blue";
    const list = await problems(bad);
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^memory\.totalBytes: /),
        expect.stringMatching(/^cpu\.physicalCores: /),
        expect.stringMatching(/^gpus\[0\]\.vramFreeBytes: /),
        expect.stringMatching(/^backends\[1\]: /),
        expect.stringMatching(/^disk\.colour: /),
      ]),
    );
    const file = await write(bad);
    await expect(loadHardwareSnapshot(file)).rejects.toThrow(new RegExp(`invalid hardware snapshot \\(${file.replaceAll("/", "\\/")}\\):\\n  - `));
  });

  it("refuses another version, saying which it reads", async () => {
    const future = { ...(await fixture("x86-4gb-cpu")), version: 2 };
    const list = await problems(future);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(/^version: 2, but this chaibox reads snapshots of version 1/);
    expect((await problems({}))[0]).toMatch(/^version: missing/);
  });

  it("refuses numbers that contradict one another, files that are not JSON and missing files", async () => {
    const inconsistent = structuredClone(await fixture("x86-4gb-cpu"));
    inconsistent.memory.availableBytes = inconsistent.memory.totalBytes + 1;
    expect(await problems(inconsistent)).toEqual(["memory.availableBytes: more than memory.totalBytes"]);
    expect((await problems("{ not json"))[0]).toMatch(/is not JSON/);
    await expect(loadHardwareSnapshot(join(tmpdir(), "no-such-snapshot.json"))).rejects.toThrow(/cannot read hardware snapshot .*no-such-snapshot\.json/);
  });
});

describe("probeHardware and GET /admin/hardware", () => {
  it("probes this machine (without the GPU child) into a valid snapshot", async () => {
    const dir = await mkdtemp(join(tmpdir(), "chaibox-probe-"));
    const { snapshot, warnings } = await probeHardware({ modelsDir: join(dir, "not", "yet", "made"), gpuProbe: false });
    expect(warnings).toEqual([]);
    expect(Value.Check(HardwareSnapshotSchema, snapshot)).toBe(true);
    expect(snapshot.source).toBe("probe");
    expect(snapshot.cpu.physicalCores).toBeGreaterThanOrEqual(1);
    expect(snapshot.memory.availableBytes).toBeLessThanOrEqual(snapshot.memory.totalBytes);
    expect(snapshot.disk.path).toBe(join(dir, "not", "yet", "made"));
    expect(snapshot.disk.totalBytes).toBeGreaterThan(0);
    expect(snapshot.os).toMatchObject({ platform: process.platform, arch: process.arch });
  });

  it("serves the snapshot", async () => {
    const snapshot = await fixture("jetson-orin-nano-8gb");
    const app = Fastify();
    await app.register(hardwareRoutes, { hardware: async () => snapshot });
    const response = await app.inject({ method: "GET", url: "/admin/hardware" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(snapshot);
    await app.close();
  });
});

describe("fallback snapshot", () => {
  it("is a valid CPU-only snapshot of this machine from Node's own figures", () => {
    const snapshot = fallbackSnapshot("/var/lib/chaibox/models");
    expect([...Value.Errors(HardwareSnapshotSchema, snapshot)]).toEqual([]);
    expect(snapshot).toMatchObject({ gpus: [], backends: [], disk: { path: "/var/lib/chaibox/models" } });
    expect(snapshot.memory.availableBytes).toBeGreaterThan(0);
    expect(snapshot.memory.availableBytes).toBeLessThanOrEqual(snapshot.memory.totalBytes);
  });
});
