/**
 * The engine's build as the owner sees it: `chaibox engine build` records its progress and failure in
 * `build-state.json` of the engine directory (the writer the build uses), and `GET /admin/status` (the web
 * UI's dashboard) and `chaibox engine status` report it. The compilation itself takes minutes and is not run
 * here; what is tested is every state a build leaves: running, failed, interrupted, done.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildStateFile } from "../../src/engine/native/build-state.js";
import { buildStatePath, nativeEngine } from "../../src/engine/native/engine-files.js";
import { runCli } from "../helpers/cli.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let dir: string;
let server: TestServer;

interface EngineView {
  in_use: string;
  variant: string | null;
  build: { state: string; percent: number; step: string; started_at: string; error: string | null } | null;
}

async function engineView(): Promise<EngineView> {
  const response = await fetch(`${server.url}/admin/status`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { engine: EngineView }).engine;
}

async function cliStatus(): Promise<{ engine: string; build: { state: string; percent: number; error?: string } | null }> {
  const result = await runCli(["engine", "status", "--json"], { CHAIBOX_ENGINE_DIR: dir });
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as { engine: string; build: { state: string; percent: number; error?: string } | null };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "chaibox-engine-status-"));
  // This test file runs in a process of its own: the server reads the engine directory from here.
  process.env.CHAIBOX_ENGINE_DIR = dir;
  server = await startTestServer({ dataDir: join(dir, "data") });
});

afterAll(async () => {
  await server.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe("the engine's build on the dashboard and in `chaibox engine status`", () => {
  const inUse = (): string => (nativeEngine() ? "native" : "prebuilt");

  it("shows the engine in use and no build before one was started", async () => {
    expect(await engineView()).toEqual({ in_use: inUse(), variant: nativeEngine()?.variant ?? null, build: null });
    expect(await cliStatus()).toMatchObject({ engine: inUse(), build: null });
  });

  it("shows a running build's share and latest step as the build records them", async () => {
    const state = new BuildStateFile("[1/3] preparing");
    state.update("  compiling 116/277 (41%)", 41);
    state.update("  compiling 119/277 (42%)", 42);
    await state.written();
    expect(await engineView()).toMatchObject({ in_use: inUse(), build: { state: "building", percent: 42, step: "  compiling 119/277 (42%)", error: null } });
    expect(await cliStatus()).toMatchObject({ build: { state: "building", percent: 42 } });

    await state.fail("node-llama-cpp's build exited with code 2; see build.log");
    expect(await engineView()).toMatchObject({ in_use: inUse(), build: { state: "failed", percent: 42, error: "node-llama-cpp's build exited with code 2; see build.log" } });
    const text = await runCli(["engine", "status"], { CHAIBOX_ENGINE_DIR: dir });
    expect(text.stdout).toMatch(/the last build failed: node-llama-cpp's build exited with code 2.*run 'chaibox engine build' again/);

    await state.remove();
    expect((await engineView()).build).toBeNull();
  });

  it("reads a build whose process is gone (power cut, SIGKILL) as interrupted, not as still running", async () => {
    const child = spawn(process.execPath, ["-e", ""]);
    await once(child, "exit");
    const gone = child.pid as number;
    await writeFile(buildStatePath(), JSON.stringify({ state: "building", percent: 63, step: "  compiling 175/277 (63%)", pid: gone, startedAt: new Date().toISOString() }));
    expect((await engineView()).build).toMatchObject({ state: "failed", percent: 63, error: "the build was interrupted before it finished" });
    expect(await cliStatus()).toMatchObject({ build: { state: "failed" } });
  });

  it("ignores a state file it cannot read rather than failing the dashboard", async () => {
    await writeFile(buildStatePath(), "{ not json");
    expect((await engineView()).build).toBeNull();
  });
});
