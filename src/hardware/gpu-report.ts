/**
 * What the hardware probe learns from node-llama-cpp about the GPUs it can use: the report of the GPU probe
 * child (engine/native/runner-process/gpu-probe.ts), and the port through which the probe asks for one. The child
 * and its wire format live in engine/native; this layer only declares what it needs.
 */
import { Type, type Static } from "@sinclair/typebox";

const Bytes = Type.Number({ minimum: 0 });

export const GpuProbeReportSchema = Type.Object({
  /** The backend `getLlama({ gpu: "auto" })` settled on; "none" means the CPU binary. */
  backend: Type.Union([Type.Literal("cuda"), Type.Literal("vulkan"), Type.Literal("metal"), Type.Literal("none")]),
  /** `getLlamaGpuTypes("supported")`: backends whose libraries are installed (diagnostics only). */
  supported: Type.Array(Type.String()),
  /** `getGpuDeviceNames()` of that backend. */
  devices: Type.Array(Type.String()),
  /** `getVramState()`: summed over every device of the backend. */
  vram: Type.Object({ total: Bytes, used: Bytes, free: Bytes, unifiedSize: Bytes }),
});
export type GpuProbeReport = Static<typeof GpuProbeReportSchema>;

/** The GPU probe's answer: its report, or the reason it has none. */
export type GpuProbeOutcome = { report: GpuProbeReport } | { error: string };

/**
 * Runs the GPU probe once; never rejects (a failure is `{ error }`). engine/native's `runGpuProbe` is the
 * real one; the composition root and the CLI pass it to `probeHardware` (probe.ts).
 */
export type GpuProbeRunner = (options: { timeoutMs: number }) => Promise<GpuProbeOutcome>;

