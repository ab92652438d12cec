/** `chaibox serve` as a child process, for the fault runs that kill the API itself. */
import { spawn, type ChildProcess } from "node:child_process";
import { readServerFile } from "../../src/config/server-file.js";
import { cliArgs, repoRoot } from "../helpers/cli.js";

export interface ServeChild {
  child: ChildProcess;
  url: string;
  /** The admin key the server wrote for the local CLI. */
  key: string;
  exited: Promise<number | null>;
  /** The server's stdout so far (its JSON log lines). */
  output: () => string;
}

/** Starts `chaibox serve` on `port` (default: a free one) with `dataDir`; resolves once it wrote its server file. */
export async function startServe(dataDir: string, env: NodeJS.ProcessEnv = {}, port = 0): Promise<ServeChild> {
  const child = spawn(process.execPath, [...cliArgs, "serve", "--port", String(port), "--host", "127.0.0.1", "--data-dir", dataDir, "--no-mdns"], {
    cwd: repoRoot,
    env: { ...process.env, CHAIBOX_MODELS_BENCHMARK_WHEN_IDLE: "forever", CHAIBOX_INFERENCE_THREADS: "1", CHAIBOX_INFERENCE_CONTEXT_SIZE: "1024", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  for (let i = 0; i < 600; i++) {
    const file = await readServerFile(dataDir);
    if (file && file.pid === child.pid) return { child, url: file.url, key: file.adminKey ?? "", exited, output: () => output };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`chaibox serve did not start: ${output.slice(-2000)}`);
}
