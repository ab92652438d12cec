/**
 * The second baseline: llama.cpp's own `llama-server`, built from the llama.cpp source that node-llama-cpp
 * bundles by test/bench/build-llama-server.sh (cached in ~/.cache/chaibox/llama-server-<release>/build/bin/). It
 * serves the same model with the same threads, sequences and context over its OpenAI-compatible API, so the
 * same SSE client measures it. Absent when it has not been built: the bench then notes how to build it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { cpuMs } from "./proc.js";
import type { Side } from "./sides.js";
import { requestBody, streamChat } from "./sse.js";
import type { BenchSampling } from "./workload.js";

/** The cached llama-server binary for the bundled llama.cpp release, or undefined when not built. */
export function llamaServerBinary(repoRoot: string): string | undefined {
  const info = join(repoRoot, "node_modules", "node-llama-cpp", "llama", "llama.cpp.info.json");
  const tag = (JSON.parse(readFileSync(info, "utf8")) as { tag: string }).tag;
  const cache = process.env.CHAIBOX_CACHE_DIR ?? join(homedir(), ".cache", "chaibox");
  const binary = join(cache, `llama-server-${tag}`, "build", "bin", "llama-server");
  return existsSync(binary) ? binary : undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/** A running llama-server. */
export class LlamaServer {
  private output = "";

  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString("utf8")).slice(-4000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /**
   * Starts `binary` on a free port: `parallel` slots of `contextSize` tokens each (llama-server splits
   * `-c` among its slots), `threads` for generation and prompts, CPU only; waits for `/health`.
   */
  static async start(options: { binary: string; modelPath: string; threads: number; contextSize: number; parallel: number }): Promise<LlamaServer> {
    const port = await freePort();
    const args = ["-m", options.modelPath, "--host", "127.0.0.1", "--port", String(port), "-t", String(options.threads), "-tb", String(options.threads)];
    args.push("-c", String(options.contextSize * options.parallel), "-np", String(options.parallel), "-ngl", "0");
    const child = spawn(options.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    const server = new LlamaServer(child, `http://127.0.0.1:${port}`);
    const deadline = performance.now() + 180_000;
    while (performance.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`llama-server exited with code ${child.exitCode}:\n${server.output}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
      if (ok) return server;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await server.stop();
    throw new Error(`llama-server did not answer /health within 180 s:\n${server.output}`);
  }

  /** The bench side that streams from this server (the model name is ignored by llama-server). */
  side(sampling: BenchSampling): Side {
    return {
      name: "llama-server",
      run: (request) => streamChat(this.baseUrl, requestBody("bench", request, sampling)),
      cpu: async () => ({ server: await cpuMs(this.pid) }),
    };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill("SIGTERM");
    await new Promise((resolve) => this.child.once("exit", resolve));
  }
}
