/**
 * The GPU probe child's wire format: it prints one marked JSON line on stdout (its report, or its reason for
 * having none); the API process parses it with {@link parseGpuProbeOutput} and validates it, because it is
 * output of another process and may be anything (a crash, a stray log line).
 */
import { Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { GpuProbeReportSchema, type GpuProbeOutcome } from "../../hardware/gpu-report.js";

/** Prefix of the one stdout line that carries the report; other lines (native logs) are ignored. */
export const GPU_PROBE_MARKER = "chaibox-gpu-probe:";

/** The child's line when it failed: its reason, so the caller can warn with it. */
export const GpuProbeFailureSchema = Type.Object({ error: Type.String() });

/**
 * Finds the marked line in the child's stdout. Returns the report, or an `error` string saying what went
 * wrong (the child's own reason, or that its output was missing or malformed).
 */
export function parseGpuProbeOutput(stdout: string): GpuProbeOutcome {
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
