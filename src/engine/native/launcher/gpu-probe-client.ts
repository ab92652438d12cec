/**
 * Runs the GPU probe child (engine/native/runner-process/gpu-probe.ts) and reads its report. The API process never
 * loads node-llama-cpp's native binding itself, so this is how it learns the backend and free VRAM.
 */
import { spawn } from "node:child_process";
import type { GpuProbeOutcome } from "../../../hardware/gpu-report.js";
import { parseGpuProbeOutput } from "../gpu-probe-wire.js";
import { runnerScriptArgs } from "./runner-entry.js";

/** Default of {@link GpuProbeOptions.timeoutMs}: loading a CUDA binding on a slow box takes seconds, not tens of them. */
export const DEFAULT_GPU_PROBE_TIMEOUT_MS = 30_000;

/** Output kept from the child; its report is one short line and a log beyond this is only noise. */
const MAX_OUTPUT_CHARS = 256 * 1024;

export interface GpuProbeOptions {
  /** Kill the child after this long; default {@link DEFAULT_GPU_PROBE_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Environment of the child; default this process's. */
  env?: NodeJS.ProcessEnv;
}

/** Starts the child and waits for its report. Never throws: a failure is `{ error }` with the reason. */
export async function runGpuProbe(options: GpuProbeOptions = {}): Promise<GpuProbeOutcome> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_GPU_PROBE_TIMEOUT_MS;
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const child = spawn(process.execPath, runnerScriptArgs("gpu-probe"), {
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      if (stdout.length < MAX_OUTPUT_CHARS) stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < MAX_OUTPUT_CHARS) stderr += chunk.toString();
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve({ error: `the GPU probe could not start: ${error.message}` });
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        resolve({ error: `the GPU probe did not answer within ${Math.round(timeoutMs / 1000)} s` });
        return;
      }
      const parsed = parseGpuProbeOutput(stdout);
      if ("report" in parsed) {
        resolve(parsed);
        return;
      }
      // The child's own reason when it gave one; else how it ended and the last thing it logged.
      const lastLog = stderr.trim().split("\n").pop()?.trim();
      const ending = signal !== null ? `killed by ${signal}` : `exit code ${code}`;
      resolve({ error: `${parsed.error} (${ending}${lastLog ? `: ${lastLog.slice(0, 200)}` : ""})` });
    });
  });
}
