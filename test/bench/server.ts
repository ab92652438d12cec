/**
 * chaibox under test: `chaibox serve` as a child process of the bench (so its RSS is its own), serving a
 * data dir into which the bench model was installed through the ModelStore API.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { copyFile, mkdtemp, rm, rmdir } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { resolvePaths } from "../../src/config/paths.js";
import { ModelStore } from "../../src/models/store.js";
import type { CliEntry } from "./build.js";

export const BENCH_MODEL_ID = "bench";

/** A temporary data dir with the bench model installed; `remove()` deletes it. */
export interface BenchDataDir {
  dir: string;
  /** The installed model file: the baseline loads this very file, so both sides map the same pages. */
  modelPath: string;
  remove(): Promise<void>;
}

/**
 * Creates a data dir and installs the model. The file is copied with copyFile and then moved into the store
 * (`move: true`), not streamed in by the store's own copy: on this kernel (6.18) a file written through
 * 1 MiB stream chunks leaves page-cache pages that mmap'd inference reads up to 2.5× slower, which would
 * measure the page cache instead of chaibox. The baseline loads the same installed file either way.
 */
export async function makeDataDir(modelPath: string): Promise<BenchDataDir> {
  const dir = await mkdtemp(join(tmpdir(), "chaibox-bench-"));
  // chaibox keeps its runner sockets in a runtime dir named after the data dir, and leaves it behind.
  const runtimeDir = resolvePaths(dir).runtimeDir;
  const remove = async (): Promise<void> => {
    await rm(dir, { recursive: true, force: true });
    // Only chaibox's own per-data-dir folder, and only when empty (a shared $RUNTIME_DIRECTORY stays).
    if (basename(runtimeDir).startsWith("chaibox-")) await rmdir(runtimeDir).catch(() => undefined);
  };
  try {
    const staged = join(dir, "bench.gguf");
    await copyFile(modelPath, staged);
    const store = await ModelStore.open(dir);
    const model = await store.add(staged, { id: BENCH_MODEL_ID, move: true, source: { type: "file", ref: modelPath } });
    return { dir, modelPath: model.path, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

export interface ServerOptions {
  repoRoot: string;
  dataDir: string;
  threads: number;
  parallel: number;
  contextSize: number;
  /** How to run the chaibox CLI: the sources through tsx, or a compiled build. */
  entry: CliEntry;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("could not find a free port");
  return address.port;
}

/** Keeps the last lines a child printed, to explain a failure. */
function tail(child: ChildProcess, lines: string[], max = 40): void {
  const add = (chunk: Buffer): void => {
    lines.push(...chunk.toString("utf8").split("\n").filter((l) => l.trim() !== ""));
    if (lines.length > max) lines.splice(0, lines.length - max);
  };
  child.stdout?.on("data", add);
  child.stderr?.on("data", add);
}

/** A running `chaibox serve`; `stop()` ends it, and with it its runner. */
export class ChaiboxServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
    private readonly output: string[],
  ) {}

  get pid(): number {
    return this.child.pid as number;
  }

  /** The last lines the server printed (warnings and errors at log level warn). */
  get recentOutput(): string {
    return this.output.join("\n");
  }

  static async start(options: ServerOptions): Promise<ChaiboxServer> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CHAIBOX_DATA_DIR: options.dataDir,
      CHAIBOX_INFERENCE_THREADS: String(options.threads),
      CHAIBOX_INFERENCE_PARALLEL: String(options.parallel),
      CHAIBOX_INFERENCE_CONTEXT_SIZE: String(options.contextSize),
      // The bench pauses chaibox while the baseline runs: the runner must not be unloaded meanwhile.
      CHAIBOX_INFERENCE_KEEP_ALIVE: "forever",
      CHAIBOX_LOG_LEVEL: process.env.CHAIBOX_BENCH_LOG_LEVEL ?? "warn",
    };
    const port = await freePort();
    const args = ["serve", "--data-dir", options.dataDir, "--port", String(port), "--host", "127.0.0.1", "--no-auth", "--no-mdns"];
    const child = spawn(process.execPath, [...options.entry.args, ...args], { cwd: options.repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    tail(child, output);
    const server = new ChaiboxServer(child, `http://127.0.0.1:${port}`, output);
    try {
      await server.waitHealthy(60_000);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`chaibox serve exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.recentOutput}`);
      }
      try {
        const response = await fetch(`${this.baseUrl}/health`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`chaibox serve did not answer /health within ${timeoutMs / 1000} s:\n${this.recentOutput}`);
  }

  /** SIGTERM (graceful: it stops the runner), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
