/**
 * Proves that a model file loads before it is installed: a short-lived child (engine/native/runner-process/load-check.ts)
 * loads it as a runner would, on the CPU with the smallest context, and exits. A file llama.cpp refuses, or
 * one that aborts the process (a tampered header trips a native assertion), is refused with
 * `model_load_failed` and the reason, never with the file's path.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ChaiboxError } from "../../../errors.js";
import { scrubPaths } from "../../scrub-paths.js";
import { runnerScriptArgs } from "./runner-entry.js";

const execFileAsync = promisify(execFile);

/** Loading the addon and mapping a big file takes seconds on a small board; past this, something is wrong. */
const TIMEOUT_MS = 120_000;

/** The lines of a failed child's stderr worth showing: llama.cpp's assertion or the load error, not Node's noise. */
export function loadFailureReason(stderr: string, signal: string | null): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("at ") && !/^(Node\.js v|node:internal|\^)/.test(line));
  const assertion = lines.find((line) => line.includes("GGML_ASSERT") || line.includes("error loading model"));
  const reason = assertion ?? lines.at(-1) ?? (signal ? `the loader ended with ${signal}` : "the loader failed");
  return scrubPaths(reason).slice(0, 500);
}

/**
 * Loads `path` in a short-lived child and disposes it.
 * @param label how the message names the file (the model id, or the file's base name).
 * @throws ChaiboxError `model_load_failed` with the reason, without the path.
 */
export async function checkModelLoads(path: string, label: string): Promise<void> {
  try {
    await execFileAsync(process.execPath, [...runnerScriptArgs("load-check"), path], { timeout: TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 });
  } catch (error) {
    const failed = error as { stderr?: string; signal?: string | null; killed?: boolean };
    const reason = failed.killed ? `loading did not finish within ${TIMEOUT_MS / 1000} s` : loadFailureReason(failed.stderr ?? "", failed.signal ?? null);
    throw new ChaiboxError("model_load_failed", `Model '${scrubPaths(label)}' does not load: ${reason}.`);
  }
}
