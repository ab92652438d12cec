/**
 * Where the runner entry is and how to start it with the current Node binary. Resolved relative to this
 * module, so it works from the sources (tests, `tsx`) and from the build in `dist/` alike.
 */
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * The Node arguments that start the runner entry (before its own `--socket PATH`). From TypeScript sources
 * (this module's URL ends in `.ts`, as under vitest or tsx) it is `main.ts` with the tsx loader, resolved to
 * a file URL so it does not depend on the working directory; from a build it is `main.js` next to it.
 */
export function runnerEntryArgs(moduleUrl: string = import.meta.url): string[] {
  return [...RUNNER_V8_FLAGS, ...runnerScriptArgs("main", moduleUrl)];
}

/**
 * V8 flags of the runner. Its JavaScript keeps little alive between tokens (the model and the KV cache live
 * in llama.cpp's native memory), so V8's default young generation (16 MiB semi-spaces, grown on demand)
 * only holds garbage: 1 MiB semi-spaces measured ~10 MiB less RSS with no change in speed (docs/performance.md).
 */
export const RUNNER_V8_FLAGS: readonly string[] = ["--max-semi-space-size=1"];

/**
 * Environment variables every runner gets, over what it inherits. node-llama-cpp runs each decode and each
 * sampling step as a job on libuv's thread pool (4 threads by default), so consecutive tokens are computed
 * from different threads, and with OpenMP each of those threads brings its own team of worker threads that
 * spin between tokens and compete for the cores. One pool thread keeps one team, warm, like llama-server's
 * single loop: +15–25 % decode with one stream and +5–15 % with four on 2 cores (docs/performance.md). It is
 * set at launch because libuv sizes its pool at its first job, before the runner's own code runs.
 */
export const RUNNER_ENV: Readonly<Record<string, string>> = { UV_THREADPOOL_SIZE: "1" };

/** The environment of a runner started from `env`: `env` with {@link RUNNER_ENV} over it. */
export function withRunnerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, ...RUNNER_ENV };
}

/**
 * The Node arguments that start another script of engine/native/runner-process/ (e.g. `insights`): the same resolution as
 * {@link runnerEntryArgs}, for the short-lived children that also need node-llama-cpp's native side.
 */
export function runnerScriptArgs(name: string, moduleUrl: string = import.meta.url): string[] {
  if (moduleUrl.endsWith(".ts")) {
    const entry = fileURLToPath(new URL(`../runner-process/${name}.ts`, moduleUrl));
    const tsxLoader = pathToFileURL(createRequire(moduleUrl).resolve("tsx")).href;
    return ["--import", tsxLoader, entry];
  }
  return [fileURLToPath(new URL(`../runner-process/${name}.js`, moduleUrl))];
}
