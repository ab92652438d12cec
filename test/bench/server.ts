/**
 * chaibox under test: `chaibox serve` as a child process of the bench (so its RSS is its own), with the
 * bench model installed into a temporary data dir through the CLI, as a user would install it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliEntry } from "./build.js";

export const BENCH_MODEL_ID = "bench";

export interface ServerOptions {
  repoRoot: string;
  modelPath: string;
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

async function runCli(repoRoot: string, entry: CliEntry, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(process.execPath, [...entry.args, ...args], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  tail(child, lines);
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`chaibox ${args.join(" ")} exited with ${code}:\n${lines.join("\n")}`);
}

/** A running `chaibox serve`; `stop()` ends it (and with it its runner) and removes the data dir. */
export class ChaiboxServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
    readonly dataDir: string,
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
    const dataDir = await mkdtemp(join(tmpdir(), "chaibox-bench-"));
    try {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        CHAIBOX_DATA_DIR: dataDir,
        CHAIBOX_INFERENCE_THREADS: String(options.threads),
        CHAIBOX_INFERENCE_PARALLEL: String(options.parallel),
        CHAIBOX_INFERENCE_CONTEXT_SIZE: String(options.contextSize),
        // The bench pauses chaibox while the baseline runs: the runner must not be unloaded meanwhile.
        CHAIBOX_INFERENCE_KEEP_ALIVE: "forever",
        CHAIBOX_LOG_LEVEL: process.env.CHAIBOX_BENCH_LOG_LEVEL ?? "warn",
      };
      await runCli(options.repoRoot, options.entry, ["models", "add", options.modelPath, "--id", BENCH_MODEL_ID, "--data-dir", dataDir], env);

      const port = await freePort();
      const args = ["serve", "--data-dir", dataDir, "--port", String(port), "--host", "127.0.0.1"];
      const child = spawn(process.execPath, [...options.entry.args, ...args], { cwd: options.repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
      const output: string[] = [];
      tail(child, output);
      const server = new ChaiboxServer(child, `http://127.0.0.1:${port}`, dataDir, output);
      try {
        await server.waitHealthy(60_000);
      } catch (error) {
        await server.stop();
        throw error;
      }
      return server;
    } catch (error) {
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    }
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

  /** SIGTERM (graceful: it stops the runner), SIGKILL after 10 s; then removes the data dir. */
  async stop(): Promise<void> {
    try {
      if (this.child.exitCode === null && this.child.signalCode === null) {
        const exited = once(this.child, "exit");
        this.child.kill("SIGTERM");
        const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
    } finally {
      await rm(this.dataDir, { recursive: true, force: true });
    }
  }
}
