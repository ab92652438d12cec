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
