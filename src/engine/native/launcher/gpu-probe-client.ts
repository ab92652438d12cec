/**
 * Runs the GPU probe child (engine/native/runner-process/gpu-probe.ts) and reads its report. The API process never
 * loads node-llama-cpp's native binding itself, so this is how it learns the backend and free VRAM.
 */
import type { GpuProbeOutcome } from "../../../hardware/gpu-report.js";
import { parseGpuProbeOutput } from "../gpu-probe-wire.js";
import { lastLogLine, runChild } from "./child-output.js";
import { runnerScriptArgs } from "./runner-entry.js";

/** Default of {@link GpuProbeOptions.timeoutMs}: loading a CUDA binding on a slow box takes seconds, not tens of them. */
export const DEFAULT_GPU_PROBE_TIMEOUT_MS = 30_000;

export interface GpuProbeOptions {
  /** Kill the child after this long; default {@link DEFAULT_GPU_PROBE_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Environment of the child; default this process's. */
  env?: NodeJS.ProcessEnv;
}

/** Starts the child and waits for its report. Never throws: a failure is `{ error }` with the reason. */
export async function runGpuProbe(options: GpuProbeOptions = {}): Promise<GpuProbeOutcome> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_GPU_PROBE_TIMEOUT_MS;
  const ending = await runChild(runnerScriptArgs("gpu-probe"), { env: options.env ?? process.env, timeoutMs });
  if (ending.spawnError !== undefined) return { error: `the GPU probe could not start: ${ending.spawnError}` };
  if (ending.timedOut) return { error: `the GPU probe did not answer within ${Math.round(timeoutMs / 1000)} s` };
  const parsed = parseGpuProbeOutput(ending.stdout);
  if ("report" in parsed) return parsed;
  // The child's own reason when it gave one; else how it ended and the last thing it logged.
  const lastLog = lastLogLine(ending.stderr);
  const how = ending.signal !== null ? `killed by ${ending.signal}` : `exit code ${ending.code}`;
  return { error: `${parsed.error} (${how}${lastLog ? `: ${lastLog}` : ""})` };
}
