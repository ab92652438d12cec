/**
 * HardwareSnapshot: what chaibox knows about the machine it runs on. The probe (probe.ts) produces one; a
 * saved snapshot (`--hardware FILE`) stands in for the real machine in simulations and tests, and fit
 * (models/planning/fit.ts) decides from one. Versioned, so a file saved by an older chaibox is refused with a clear
 * reason instead of being misread.
 */
import { Type, type Static } from "@sinclair/typebox";

export const HARDWARE_SNAPSHOT_VERSION = 1;

const Bytes = Type.Integer({ minimum: 0, description: "bytes" });

export const GpuBackendSchema = Type.Union([Type.Literal("cuda"), Type.Literal("vulkan"), Type.Literal("metal")], {
  description: "a GPU backend of node-llama-cpp",
});
export type GpuBackend = Static<typeof GpuBackendSchema>;

export const GpuSchema = Type.Object(
  {
    vendor: Type.String({ description: "e.g. NVIDIA, AMD, Intel, Apple" }),
    model: Type.String({ description: "e.g. NVIDIA GeForce RTX 3060" }),
    vramTotalBytes: Bytes,
    /** null when nothing on the machine reports it (systeminformation alone gives no free figure). */
    vramFreeBytes: Type.Union([Bytes, Type.Null()]),
    unified: Type.Boolean({
      description: "memory shared with the CPU (Apple silicon, Jetson, AMD APUs, integrated GPUs): VRAM and RAM are one pool",
    }),
    /** Memory bandwidth when known (a table of known devices, or a fixture); fit estimates speed from it. */
    bandwidthBytesPerSecond: Type.Optional(Bytes),
  },
  { additionalProperties: false },
);
export type Gpu = Static<typeof GpuSchema>;

export const HardwareSnapshotSchema = Type.Object(
  {
    version: Type.Literal(HARDWARE_SNAPSHOT_VERSION),
    /** ISO 8601 time of the probe. */
    takenAt: Type.String(),
    /** "probe" when read from this machine, otherwise a label for a simulated machine (e.g. "Raspberry Pi 5 8 GB"). */
    source: Type.String(),
    os: Type.Object(
      {
        platform: Type.String({ description: "process.platform: linux, darwin, win32" }),
        arch: Type.String({ description: "process.arch: x64, arm64" }),
        distro: Type.Optional(Type.String()),
        release: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    cpu: Type.Object(
      {
        model: Type.String(),
        physicalCores: Type.Integer({ minimum: 1 }),
        logicalCores: Type.Integer({ minimum: 1 }),
        /** SIMD extensions llama.cpp cares about, lowercase: sse4_2, avx, avx2, fma, f16c, avx512f, avx_vnni, neon, dotprod, sve… */
        simd: Type.Array(Type.String()),
      },
      { additionalProperties: false },
    ),
    memory: Type.Object(
      {
        totalBytes: Bytes,
        /** What the OS could give a new process now (MemAvailable), not merely free pages. */
        availableBytes: Bytes,
        /** System memory bandwidth when known; fit falls back to an estimate from the CPU. */
        bandwidthBytesPerSecond: Type.Optional(Bytes),
      },
      { additionalProperties: false },
    ),
    gpus: Type.Array(GpuSchema),
    /** The file system that holds the models. */
    disk: Type.Object(
      {
        path: Type.String(),
        totalBytes: Bytes,
        freeBytes: Bytes,
      },
      { additionalProperties: false },
    ),
    /** GPU backends node-llama-cpp can use here, best first; [] means CPU only. */
    backends: Type.Array(GpuBackendSchema),
  },
  { additionalProperties: false },
);

export type HardwareSnapshot = Static<typeof HardwareSnapshotSchema>;
