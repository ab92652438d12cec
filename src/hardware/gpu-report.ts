/**
 * What the GPU probe child (src/engine/runner/gpu-probe.ts) reports about the GPUs node-llama-cpp can use.
 * The child prints one marked JSON line; the API process parses it with {@link parseGpuProbeOutput} and
 * validates it, because it is output of another process and may be anything (a crash, a stray log line).
 */
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

/** Prefix of the one stdout line that carries the report; other lines (native logs) are ignored. */
export const GPU_PROBE_MARKER = "chaibox-gpu-probe:";

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

/** The child's line when it failed: its reason, so the caller can warn with it. */
export const GpuProbeFailureSchema = Type.Object({ error: Type.String() });

/**
 * Finds the marked line in the child's stdout. Returns the report, or an `error` string saying what went
 * wrong (the child's own reason, or that its output was missing or malformed).
 */
export function parseGpuProbeOutput(stdout: string): { report: GpuProbeReport } | { error: string } {
  const line = stdout
    .split("\n")
    .reverse()
    .find((l) => l.startsWith(GPU_PROBE_MARKER));
  if (line === undefined) return { error: "the GPU probe printed no report" };
  let data: unknown;
  try {
    data = JSON.parse(line.slice(GPU_PROBE_MARKER.length));
  } catch {
    return { error: "the GPU probe printed a malformed report" };
  }
  if (Value.Check(GpuProbeReportSchema, data)) return { report: data };
  if (Value.Check(GpuProbeFailureSchema, data)) return { error: data.error };
  return { error: "the GPU probe printed a report of the wrong shape" };
}
