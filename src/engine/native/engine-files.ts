/**
 * Where the native engine lives and how a runner finds it. `chaibox engine build` compiles node-llama-cpp's
 * binding from the llama.cpp source the package bundles, for this machine's CPU, into the engine directory
 * (a cache outside the installation: `$CHAIBOX_ENGINE_DIR`, else `$CACHE_DIRECTORY/engine` under systemd,
 * else `/var/cache/chaibox/engine` on an installed box, else `~/.cache/chaibox/engine`). node-llama-cpp
 * only loads local builds from its own `llama/localBuilds`, so that folder becomes a link to the engine
 * directory; `engine.json` there names the build's cmake options, which is what a runner passes to
 * `getLlama` to pick it. Without `engine.json` runners use the prebuilt binary, as they always did.
 *
 * This module reads files only: the API process and the CLI import it, never the native binding.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/** What `engine.json` records about a native build. */
export interface EngineManifest {
  /** node-llama-cpp's version the binding was built for; another version ignores it. */
  nodeLlamaCppVersion: string;
  /** The llama.cpp release of the bundled source. */
  llamaCppRelease: string;
  /** `native` (OpenMP) or `native-no-openmp`. */
  variant: string;
  /** The custom cmake options of the build: the runner asks `getLlama` for exactly these. */
  cmakeOptions: Record<string, string>;
  /** ISO 8601. */
  builtAt: string;
  /** The CPU it was built on (native flags: it may not run on another CPU). */
  cpu: string;
}

/**
 * A build that is running or that failed, as `build-state.json` in the engine directory records it; the file
 * is removed when a build succeeds. The API shows it on the dashboard while the box compiles at first boot.
 */
export interface EngineBuildState {
  state: "building" | "failed";
  /** Share of the compilation done, 0–100. */
  percent: number;
  /** The latest progress line. */
  step: string;
  /** The building process: a "building" state whose process is gone was interrupted. */
  pid: number;
  /** ISO 8601. */
  startedAt: string;
  /** Why it failed, in words (failed only). */
  error?: string;
}

/** What runners load now, and a build in progress or failed. */
export interface EngineStatus {
  engine: "native" | "prebuilt";
  native: EngineManifest | undefined;
  build: EngineBuildState | undefined;
  /** A build in the engine directory that node-llama-cpp no longer links to (it was reinstalled). */
  unlinked: EngineManifest | undefined;
}

/** The cache directory of an installed box (chaibox.service's CacheDirectory=). */
const SYSTEM_CACHE = "/var/cache/chaibox";

/**
 * The engine directory (see the module comment). On an installed box it is the service's cache directory
 * whoever asks (`sudo chaibox engine build`, `chaibox engine status`), so that the runners, which run as
 * the chaibox user and cannot read root's home, find what was built.
 */
export function engineDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CHAIBOX_ENGINE_DIR) return env.CHAIBOX_ENGINE_DIR;
  const cache = env.CACHE_DIRECTORY?.split(":")[0];
  if (cache) return join(cache, "engine");
  if (existsSync(SYSTEM_CACHE)) return join(SYSTEM_CACHE, "engine");
  return join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "chaibox", "engine");
}

/** The installed node-llama-cpp package's directory. */
export function nodeLlamaCppDir(): string {
  const entry = createRequire(import.meta.url).resolve("node-llama-cpp");
  // …/node-llama-cpp/dist/index.js
  return dirname(dirname(entry));
}

/** The installed node-llama-cpp's version. */
export function nodeLlamaCppVersion(): string {
  return (JSON.parse(readFileSync(join(nodeLlamaCppDir(), "package.json"), "utf8")) as { version: string }).version;
}

/** The folder node-llama-cpp loads local builds from (a link to the engine directory once built). */
export function localBuildsDir(): string {
  return join(nodeLlamaCppDir(), "llama", "localBuilds");
}

/** The manifest's path: inside node-llama-cpp's local builds, i.e. the engine directory the link points to. */
export function manifestPath(): string {
  return join(localBuildsDir(), "engine.json");
}

/** Where a build records its progress and failure (see {@link EngineBuildState}). */
export function buildStatePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(engineDir(env), "build-state.json");
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user (the build runs as root, the API as chaibox).
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The recorded build state, or undefined when none is recorded (never built, or built). A "building" state
 * whose process is gone (power cut, SIGKILL) reads as failed. Never throws.
 */
export function engineBuildState(env: NodeJS.ProcessEnv = process.env): EngineBuildState | undefined {
  try {
    const state = JSON.parse(readFileSync(buildStatePath(env), "utf8")) as EngineBuildState;
    if (state.state === "building" && !running(state.pid)) return { ...state, state: "failed", error: "the build was interrupted before it finished" };
    return state;
  } catch {
    return undefined;
  }
}

/** The engine new runners load, and the build state (for `chaibox engine status` and the dashboard). */
export function engineStatus(env: NodeJS.ProcessEnv = process.env): EngineStatus {
  const native = nativeEngine(env);
  const unlinked = linkedEngine() === undefined ? builtEngine(env) : undefined;
  return { engine: native ? "native" : "prebuilt", native, build: engineBuildState(env), unlinked };
}

/**
 * The native engine a runner should load, or undefined: none built, disabled with `CHAIBOX_ENGINE=prebuilt`,
 * or built for another node-llama-cpp version. Never throws: any doubt means the prebuilt binary.
 */
export function nativeEngine(env: NodeJS.ProcessEnv = process.env): EngineManifest | undefined {
  if (env.CHAIBOX_ENGINE === "prebuilt") return undefined;
  return linkedEngine();
}

/** The native build node-llama-cpp links to, if it is one for the installed node-llama-cpp. */
export function linkedEngine(): EngineManifest | undefined {
  return currentManifest(manifestPath());
}

/**
 * The build the engine directory holds for the installed node-llama-cpp, whether or not node-llama-cpp
 * links to it: reinstalling node-llama-cpp (`npm install`) drops the link, not the build.
 */
export function builtEngine(env: NodeJS.ProcessEnv = process.env): EngineManifest | undefined {
  return currentManifest(join(engineDir(env), "engine.json"));
}

/** The manifest at `path` when it is one for the installed node-llama-cpp; never throws. */
function currentManifest(path: string): EngineManifest | undefined {
  try {
    if (!existsSync(path)) return undefined;
    const manifest = JSON.parse(readFileSync(path, "utf8")) as EngineManifest;
    if (manifest.nodeLlamaCppVersion !== nodeLlamaCppVersion() || typeof manifest.cmakeOptions !== "object") return undefined;
    return manifest;
  } catch {
    return undefined;
  }
}

/**
 * What `chaibox engine build --if-needed` does: nothing when runners load a native build already; link the
 * engine directory again when it holds one for this node-llama-cpp that is no longer linked; else build
 * (nothing built yet, or built for another node-llama-cpp version: a package upgrade that brought a new one).
 * A build whose cmake options are not the ones this chaibox builds with (`current` says no: an upgrade that
 * changed them, such as leaving AMX out) is built again too.
 */
export function engineBuildNeed(
  linked: EngineManifest | undefined,
  built: EngineManifest | undefined,
  current: (manifest: EngineManifest) => boolean = () => true,
): "none" | "link" | "build" {
  if (linked !== undefined && current(linked)) return "none";
  return built !== undefined && current(built) ? "link" : "build";
}
