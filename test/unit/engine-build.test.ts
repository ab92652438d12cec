import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtWithCurrentOptions, compileStep, nativeCmakeOptions, NO_AMX_FLAGS } from "../../src/engine/native/build.js";
import { ENGINE_CHECK_MARKER } from "../../src/engine/native/engine-check-wire.js";
import type { ChildEnding } from "../../src/engine/native/launcher/child-output.js";
import { engineCheckFailure } from "../../src/engine/native/launcher/engine-check-client.js";
import { builtEngine, engineBuildNeed, nodeLlamaCppVersion, type EngineManifest } from "../../src/engine/native/engine-files.js";
import { npmOnPath, writeNpmStandIn } from "../../src/engine/native/npm-stand-in.js";

const run = promisify(execFile);
let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "chaibox-npm-stand-in-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the npm stand-in of the engine build (a box without npm)", () => {
  it("runs node-llama-cpp's cmake-js-llama script with the cmake-js it depends on", async () => {
    const bin = await writeNpmStandIn(join(dir, "bin"));
    expect(await npmOnPath(bin)).toBe(true);
    const { stdout } = await run(join(bin, "npm"), ["run", "-s", "cmake-js-llama", "--", "--version"]);
    const cmakeJs = createRequire(import.meta.url)("cmake-js/package.json") as { version: string };
    expect(stdout.trim()).toBe(cmakeJs.version);
  });

  it("refuses anything else, saying why", async () => {
    const bin = await writeNpmStandIn(join(dir, "bin"));
    const failure = await run(join(bin, "npm"), ["install", "left-pad"]).then(() => undefined, (error: { code: number; stderr: string }) => error);
    expect(failure?.code).toBe(127);
    expect(failure?.stderr).toMatch(/npm is not installed; this stand-in runs only node-llama-cpp's cmake-js-llama script \(asked: npm install left-pad\)/);
  });

  it("finds npm on a PATH only where an executable npm is", async () => {
    expect(await npmOnPath(`/nonexistent:${dir}`)).toBe(false);
    expect(await npmOnPath(undefined)).toBe(false);
  });
});

describe("the engine build's progress", () => {
  it("reads ninja's and make's progress lines, and nothing else", () => {
    expect(compileStep("[116/277] Building CXX object llama.cpp/src/CMakeFiles/llama.dir/llama.cpp.o")).toEqual({ percent: 41, count: "116/277" });
    expect(compileStep("[ 15%] Building CXX object llama.cpp/src/CMakeFiles/llama.dir/llama-arch.cpp.o")).toEqual({ percent: 15 });
    expect(compileStep("[100%] Built target llama-addon")).toEqual({ percent: 100 });
    expect(compileStep("-- Configuring done")).toBeUndefined();
    expect(compileStep("✔ Cloned ggml-org/llama.cpp (local bundle)")).toBeUndefined();
  });
});

describe("`chaibox engine build --if-needed`", () => {
  const manifest = (version: string): EngineManifest => ({
    nodeLlamaCppVersion: version,
    llamaCppRelease: "b1",
    variant: "native",
    cmakeOptions: { GGML_NATIVE: "ON", GGML_OPENMP: "ON" },
    builtAt: "2026-12-01T00:00:00.000Z",
    cpu: "test CPU",
  });

  it("finds the engine directory's build for the installed node-llama-cpp, linked or not, and no other", async () => {
    const engine = join(dir, "engine");
    const env = { CHAIBOX_ENGINE_DIR: engine };
    expect(builtEngine(env)).toBeUndefined();
    await mkdir(engine, { recursive: true });
    await writeFile(join(engine, "engine.json"), JSON.stringify(manifest("0.0.1")));
    // Built for another node-llama-cpp (before a package upgrade): not this installation's.
    expect(builtEngine(env)).toBeUndefined();
    await writeFile(join(engine, "engine.json"), JSON.stringify(manifest(nodeLlamaCppVersion())));
    expect(builtEngine(env)).toEqual(manifest(nodeLlamaCppVersion()));
    await writeFile(join(engine, "engine.json"), "{ cut off");
    expect(builtEngine(env)).toBeUndefined();
  });

  it("builds nothing when linked, links again what is built, and builds otherwise", () => {
    const current = manifest("3.21.1");
    expect(engineBuildNeed(current, current)).toBe("none");
    expect(engineBuildNeed(undefined, current)).toBe("link");
    expect(engineBuildNeed(undefined, undefined)).toBe("build");
  });

  it("builds again what was built with other options than this chaibox's (the builds before AMX was left out)", () => {
    const before = manifest(nodeLlamaCppVersion());
    const now = { ...before, cmakeOptions: nativeCmakeOptions(true, "x64") };
    expect(builtWithCurrentOptions(before, "x64")).toBe(false);
    expect(builtWithCurrentOptions(now, "x64")).toBe(true);
    // Nothing changed for arm64, and each variant is compared with its own options.
    expect(builtWithCurrentOptions(before, "arm64")).toBe(true);
    expect(builtWithCurrentOptions({ ...before, variant: "native-no-openmp", cmakeOptions: nativeCmakeOptions(false, "x64") }, "x64")).toBe(true);
    expect(builtWithCurrentOptions({ ...before, cmakeOptions: nativeCmakeOptions(false, "x64") }, "x64")).toBe(false);
    const current = (m: EngineManifest): boolean => builtWithCurrentOptions(m, "x64");
    expect(engineBuildNeed(before, before, current)).toBe("build");
    expect(engineBuildNeed(undefined, before, current)).toBe("build");
    expect(engineBuildNeed(now, now, current)).toBe("none");
    expect(engineBuildNeed(undefined, now, current)).toBe("link");
  });
});

describe("the native build's options", () => {
  it("keeps Intel AMX out of x86-64 builds only, and native flags and OpenMP as asked", () => {
    const release = `-O3 -DNDEBUG ${NO_AMX_FLAGS}`;
    expect(nativeCmakeOptions(true, "x64")).toEqual({ GGML_NATIVE: "ON", GGML_OPENMP: "ON", CMAKE_C_FLAGS_RELEASE: release, CMAKE_CXX_FLAGS_RELEASE: release });
    expect(NO_AMX_FLAGS.split(" ")).toEqual(["-mno-amx-tile", "-mno-amx-int8", "-mno-amx-bf16"]);
    expect(nativeCmakeOptions(false, "arm64")).toEqual({ GGML_NATIVE: "ON", GGML_OPENMP: "OFF" });
  });
});

describe("the check of a new build", () => {
  const ending = (over: Partial<ChildEnding>): ChildEnding => ({ code: 0, signal: null, stdout: "", stderr: "", timedOut: false, ...over });
  const report = (data: unknown): string => `some native log\n${ENGINE_CHECK_MARKER}${JSON.stringify(data)}\n`;

  it("passes only a child that exited 0 with a report of generated tokens", () => {
    expect(engineCheckFailure(ending({ stdout: report({ ok: true, tokens: 8, ms: 40 }) }))).toBeUndefined();
    expect(engineCheckFailure(ending({ stdout: report({ ok: true, tokens: "8" }) }))).toBe("the new engine's check exited with code 0 without a report");
    expect(engineCheckFailure(ending({ code: 1, stderr: "Error: cannot open\n" }))).toBe("the new engine's check exited with code 1 without a report (Error: cannot open)");
  });

  it("says how a build that does not work failed: a crash with its signal and last words, its own error, a hang", () => {
    const crash = ending({ code: null, signal: "SIGILL", stderr: "llama_context: n_ctx = 256\nggml: AMX\n" });
    expect(engineCheckFailure(crash)).toBe("the new engine crashed (SIGILL) while generating its first tokens (ggml: AMX)");
    const failed = ending({ code: 1, stdout: report({ ok: false, error: "node-llama-cpp loaded its prebuilt binary instead of the new build" }) });
    expect(engineCheckFailure(failed)).toBe("the new engine failed its check: node-llama-cpp loaded its prebuilt binary instead of the new build");
    expect(engineCheckFailure(ending({ code: null, signal: "SIGKILL", timedOut: true }))).toBe("the new engine did not generate its first tokens within 120 s");
  });
});
