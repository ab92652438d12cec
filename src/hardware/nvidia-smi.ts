/**
 * nvidia-smi, when it is on PATH: the fastest source of free VRAM per NVIDIA GPU (~50 ms, no CUDA
 * context), so it is asked on every refresh while the GPU probe child runs once.
 */
import { execFile } from "node:child_process";
import type { NvidiaSmiGpu } from "./from-systeminformation.js";

const MiB = 1024 * 1024;

/** The query chaibox runs; `nounits` makes the memory columns plain MiB. */
export const NVIDIA_SMI_ARGS = ["--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"];

/**
 * Parses nvidia-smi's CSV (`NVIDIA H200, 143771, 143109` per GPU). Rows without numbers (Jetson prints
 * `[N/A]`) are skipped, since a GPU without figures tells the fit nothing.
 */
export function parseNvidiaSmi(csv: string): NvidiaSmiGpu[] {
  const gpus: NvidiaSmiGpu[] = [];
  for (const line of csv.split("\n")) {
    const parts = line.split(",").map((p) => p.trim());
    if (parts.length < 3) continue;
    const free = Number(parts.pop());
    const total = Number(parts.pop());
    const name = parts.join(",");
    if (name === "" || !Number.isFinite(total) || !Number.isFinite(free) || total <= 0 || free < 0) continue;
    gpus.push({ name, totalBytes: total * MiB, freeBytes: free * MiB });
  }
  return gpus;
}

export interface NvidiaSmiResult {
  /** null when nvidia-smi is not installed (the normal case without an NVIDIA driver) or failed. */
  gpus: NvidiaSmiGpu[] | null;
  /** Why it failed when it is installed but did not answer; absent otherwise. */
  warning?: string;
}

/** Runs nvidia-smi with a timeout (default 5 s). Never throws. */
export async function queryNvidiaSmi(timeoutMs = 5_000): Promise<NvidiaSmiResult> {
  return new Promise((resolve) => {
    execFile("nvidia-smi", NVIDIA_SMI_ARGS, { timeout: timeoutMs, windowsHide: true }, (error, stdout) => {
      if (error === null) {
        resolve({ gpus: parseNvidiaSmi(stdout) });
        return;
      }
      // Not installed: nothing to say. Installed but failing (driver/library mismatch, hung GPU): say so.
      if ((error as NodeJS.ErrnoException).code === "ENOENT") resolve({ gpus: null });
      else resolve({ gpus: null, warning: `nvidia-smi failed: ${error.message.split("\n")[0] ?? ""}` });
    });
  });
}
