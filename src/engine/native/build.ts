/**
 * `chaibox engine build`: compiles node-llama-cpp's binding from its bundled llama.cpp source
 * (`llama/gitRelease.bundle`, no network) for this machine — native CPU flags, OpenMP unless told not to —
 * into the engine directory (engine-files.ts), checks that it generates tokens, then writes `engine.json` so
 * that runners load it. The build itself is node-llama-cpp's own (`source download`, which extracts the
 * bundle and runs cmake); this module points its output at the engine directory and turns its console output
 * into progress lines.
 */
import { spawn } from "node:child_process";
import { cp, lstat, mkdir, readFile, readdir, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { cpus } from "node:os";
import { delimiter, join } from "node:path";
import { BuildStateFile } from "./build-state.js";
import { checkNativeEngine } from "./launcher/engine-check-client.js";
import { builtEngine, engineDir, localBuildsDir, manifestPath, nodeLlamaCppDir, nodeLlamaCppVersion, type EngineManifest } from "./engine-files.js";
import { npmOnPath, writeNpmStandIn } from "./npm-stand-in.js";

/** Options of {@link buildNativeEngine}. */
export interface EngineBuildOptions {
  /** Link OpenMP's thread pool (default true): llama.cpp's own server uses it. */
  openmp?: boolean;
  /** Keep the extracted llama.cpp source (~200 MB) in node-llama-cpp's folder afterwards (default false). */
  keepSource?: boolean;
  /** Receives progress lines: the steps, then `compiling n/m` as the compiler advances. */
  progress: (line: string) => void;
}

/**
 * Compiler flags that keep Intel AMX out of an x86-64 build. With native flags on a CPU that has AMX (Xeon
 * Sapphire Rapids and later), llama.cpp compiles in its AMX matrix path, and in the bundled release that path
 * crashes at the first decode, in `ggml_backend_amx_mul_mat` on an OpenMP worker thread (llama.cpp issue
 * 20824: the tile configuration it loads is not valid there). Measured on such a CPU: every runner, and
 * llama-server built the same way, died with SIGILL or SIGSEGV on the first token. GCC and Clang let an
 * explicit `-mno-…` win over `-march=native` wherever it stands; every other native instruction set
 * (AVX-512, VNNI) stays.
 */
export const NO_AMX_FLAGS = "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16";

/** The cmake options of a native build, as `engine.json` records them and runners request them. */
export function nativeCmakeOptions(openmp: boolean, arch: string = process.arch): Record<string, string> {
  const options: Record<string, string> = { GGML_NATIVE: "ON", GGML_OPENMP: openmp ? "ON" : "OFF" };
  // The release configuration's flags (cmake's defaults, plus ours): node-llama-cpp builds that configuration,
  // and cmake-js overwrites CMAKE_CXX_FLAGS with its own, so flags given there never reach the compiler.
  const release = `-O3 -DNDEBUG ${NO_AMX_FLAGS}`;
  if (arch === "x64") Object.assign(options, { CMAKE_C_FLAGS_RELEASE: release, CMAKE_CXX_FLAGS_RELEASE: release });
  return options;
}

/** Whether `manifest`'s build was made with the cmake options this chaibox builds its variant with. */
export function builtWithCurrentOptions(manifest: EngineManifest, arch: string = process.arch): boolean {
  const expected = nativeCmakeOptions(manifest.variant !== "native-no-openmp", arch);
  const keys = new Set([...Object.keys(expected), ...Object.keys(manifest.cmakeOptions)]);
  return [...keys].every((key) => expected[key] === manifest.cmakeOptions[key]);
}

/** node-llama-cpp's name for a build folder: platform, architecture and a hash of the options. */
const BUILD_FOLDER = /^(linux|mac|win)-[a-z0-9]+(-|$)/;

/** Makes node-llama-cpp's `llama/localBuilds` a link to `target`, moving any earlier local builds there. */
async function linkLocalBuilds(target: string): Promise<void> {
  const link = localBuildsDir();
  const stat = await lstat(link).catch(() => undefined);
  if (stat?.isSymbolicLink()) {
    if ((await readlink(link)) === target) return;
    await rm(link);
  } else if (stat?.isDirectory()) {
    for (const entry of await readdir(link)) await cp(join(link, entry), join(target, entry), { recursive: true });
    await rm(link, { recursive: true, force: true });
  }
  await symlink(target, link, "dir");
}

/**
 * Links node-llama-cpp to the build the engine directory already holds for it (see `builtEngine`), so that
 * runners started from now on load it again. Returns its manifest, or undefined when there is none.
 */
export async function relinkNativeEngine(): Promise<EngineManifest | undefined> {
  const built = builtEngine();
  if (built !== undefined) await linkLocalBuilds(engineDir());
  return built;
}

/** Runs node-llama-cpp's CLI, feeding its output (split on CR and LF) to `onLine`. Rejects on failure. */
function runCli(args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void): Promise<void> {
  const cli = join(nodeLlamaCppDir(), "dist", "cli", "cli.js");
  const child = spawn(process.execPath, [cli, ...args], { cwd: nodeLlamaCppDir(), env, stdio: ["ignore", "pipe", "pipe"] });
  let rest = "";
  const feed = (chunk: Buffer): void => {
    const parts = (rest + chunk.toString("utf8")).split(/[\r\n]+/);
    rest = parts.pop() ?? "";
    for (const part of parts) onLine(part);
  };
  child.stdout.on("data", feed);
  child.stderr.on("data", feed);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      if (rest !== "") onLine(rest);
      if (code === 0) resolve();
      else reject(new Error(`node-llama-cpp's build exited with code ${code}`));
    });
  });
}

/**
 * Builds the native engine and returns its manifest. Runners started afterwards load it (those running
 * keep their binding until they restart). On failure `engine.json` is absent, so runners use the prebuilt
 * binary; the full compiler output is in `build.log` of the engine directory.
 */
export async function buildNativeEngine(options: EngineBuildOptions): Promise<EngineManifest> {
  const openmp = options.openmp ?? true;
  const dir = engineDir();
  await mkdir(dir, { recursive: true });
  const first = `[1/4] preparing ${dir} (node-llama-cpp ${nodeLlamaCppVersion()}, ${openmp ? "OpenMP" : "no OpenMP"}, native CPU flags)`;
  const state = new BuildStateFile(first);
  const progress = (line: string, percent?: number): void => {
    options.progress(line);
    state.update(line.trim(), percent);
  };
  options.progress(first);
  try {
    const manifest = await build(openmp, dir, progress, options.keepSource === true);
    await state.remove();
    return manifest;
  } catch (error) {
    await state.fail((error as Error).message);
    throw error;
  }
}

/** The build's steps: link the engine directory, compile into it, record its manifest. */
async function build(openmp: boolean, dir: string, progress: (line: string, percent?: number) => void, keepSource: boolean): Promise<EngineManifest> {
  const log = join(dir, "build.log");
  // Runners started while the build runs use the prebuilt binary.
  await rm(manifestPath(), { force: true }).catch(() => undefined);
  await linkLocalBuilds(dir);
  // A new build replaces the earlier ones (~55 MB each; other options make another folder, not an overwrite).
  // Runners that loaded one keep their mapped copy until they restart.
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && BUILD_FOLDER.test(entry.name)) await rm(join(dir, entry.name), { recursive: true, force: true });
  }

  const cmakeOptions = nativeCmakeOptions(openmp);
  const env: NodeJS.ProcessEnv = { ...process.env, CI: "false" };
  for (const [key, value] of Object.entries(cmakeOptions)) env[`NODE_LLAMA_CPP_CMAKE_OPTION_${key}`] = value;
  if (!(await npmOnPath(env.PATH))) {
    const standIn = await writeNpmStandIn(join(dir, "npm-stand-in"));
    env.PATH = [standIn, env.PATH].filter((part) => part !== undefined && part !== "").join(delimiter);
  }
  progress(`[2/4] extracting the bundled llama.cpp source and compiling (${cpus().length || 1} CPU(s); this takes minutes)`);
  const output = createWriteStream(log);
  let lastPercent = -1;
  try {
    await runCli(["source", "download", "--gpu", "false", "--noUsageExample"], env, (line) => {
      output.write(`${line}\n`);
      const step = compileStep(line);
      if (step === undefined || step.percent === lastPercent) return;
      lastPercent = step.percent;
      progress(`  compiling ${step.count === undefined ? "" : `${step.count} `}(${step.percent}%)`, step.percent);
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}; see ${log}`);
  } finally {
    output.end();
  }

  // Compiled is not yet working: a build that crashes at its first decode must not replace the prebuilt engine.
  progress("[3/4] checking the new engine: a few tokens on a tiny generated model");
  const check = await checkNativeEngine(cmakeOptions, dir);
  progress(`  ${check.tokens} tokens in ${check.ms} ms`);
  progress("[4/4] recording the engine");
  const manifest: EngineManifest = {
    nodeLlamaCppVersion: nodeLlamaCppVersion(),
    llamaCppRelease: await llamaCppRelease(),
    variant: openmp ? "native" : "native-no-openmp",
    cmakeOptions,
    builtAt: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? "unknown",
  };
  await writeFile(manifestPath(), `${JSON.stringify(manifest, null, 2)}\n`);
  if (!keepSource) await rm(join(nodeLlamaCppDir(), "llama", "llama.cpp"), { recursive: true, force: true });
  return manifest;
}

/**
 * The compiler's progress in one line of cmake's build output: ninja's `[12/340]` (where ninja is installed)
 * or make's `[ 15%]` (Debian's default, and the box's). Undefined for any other line.
 */
export function compileStep(line: string): { percent: number; count?: string } | undefined {
  const ninja = /^\[(\d+)\/(\d+)\]/.exec(line);
  if (ninja !== null) return { percent: Math.floor((Number(ninja[1]) * 100) / Number(ninja[2])), count: `${ninja[1]}/${ninja[2]}` };
  const make = /^\[\s*(\d+)%\]/.exec(line);
  return make === null ? undefined : { percent: Number(make[1]) };
}

async function llamaCppRelease(): Promise<string> {
  const info = JSON.parse(await readFile(join(nodeLlamaCppDir(), "llama", "llama.cpp.info.json"), "utf8")) as { tag?: string };
  return info.tag ?? "unknown";
}
