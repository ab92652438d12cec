/**
 * Checks a freshly compiled native engine before runners are allowed to load it: the engine check child
 * (engine/native/runner-process/engine-check.ts) generates a few tokens with the new build on a tiny
 * generated model, with every core's thread as a runner would. A build that compiled can still crash at its
 * first decode, and a runner that crashes on every request leaves the box without inference; a failed check
 * keeps the prebuilt engine instead.
 */
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import { makeTestModel } from "../../../gguf/presets.js";
import { parseEngineCheckOutput } from "../engine-check-wire.js";
import { lastLogLine, runChild, type ChildEnding } from "./child-output.js";
import { runnerScriptArgs, withRunnerEnv } from "./runner-entry.js";

/** Loading a binding and a 140 KB model takes a second or two; a build that hangs is as broken as one that crashes. */
const CHECK_TIMEOUT_MS = 120_000;

/** Undefined when the check passed, else why it failed, in words for `chaibox engine status` and the dashboard. */
export function engineCheckFailure(ending: ChildEnding): string | undefined {
  const report = parseEngineCheckOutput(ending.stdout);
  if (report?.ok === true && ending.code === 0) return undefined;
  if (ending.spawnError !== undefined) return `the engine check could not start: ${ending.spawnError}`;
  if (ending.timedOut) return `the new engine did not generate its first tokens within ${CHECK_TIMEOUT_MS / 1000} s`;
  if (report?.ok === false) return `the new engine failed its check: ${report.error}`;
  // A crash prints no report: the last thing the child logged is the best clue.
  const lastLog = lastLogLine(ending.stderr);
  const clue = lastLog ? ` (${lastLog})` : "";
  if (ending.signal !== null) return `the new engine crashed (${ending.signal}) while generating its first tokens${clue}`;
  return `the new engine's check exited with code ${ending.code} without a report${clue}`;
}

/**
 * Generates a tiny model in `dir`, runs the check child against the build with `cmakeOptions`, removes the
 * model. Throws with {@link engineCheckFailure}'s words when the build does not work.
 */
export async function checkNativeEngine(cmakeOptions: Record<string, string>, dir: string): Promise<{ tokens: number; ms: number }> {
  const modelPath = join(dir, "engine-check.gguf");
  await makeTestModel({ preset: "tiny", quant: "q8_0", seed: 1, out: modelPath });
  try {
    // As many threads as a runner would use, so that the thread pool (OpenMP's workers) runs too.
    const threads = String(Math.min(4, availableParallelism()));
    const args = [...runnerScriptArgs("engine-check"), "--model", modelPath, "--cmake-options", JSON.stringify(cmakeOptions), "--threads", threads];
    const ending = await runChild(args, { env: withRunnerEnv(process.env), timeoutMs: CHECK_TIMEOUT_MS });
    const failure = engineCheckFailure(ending);
    if (failure !== undefined) throw new Error(failure);
    const report = parseEngineCheckOutput(ending.stdout);
    return report?.ok === true ? { tokens: report.tokens, ms: report.ms } : { tokens: 0, ms: 0 };
  } finally {
    await rm(modelPath, { force: true });
  }
}
