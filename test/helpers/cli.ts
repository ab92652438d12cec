/** Runs the `chaibox` command from the sources (through tsx), as a user would, for CLI tests. */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/** The repository root. */
export const repoRoot = new URL("../..", import.meta.url).pathname;

/** Node arguments that start the CLI: spread before the command's own (`spawn(process.execPath, [...cliArgs, "serve"])`). */
export const cliArgs = ["--import", "tsx", join(repoRoot, "src/cli/main.ts")];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `chaibox <args>` to completion; a non-zero exit is a result, not a throw. `env` adds to this process's. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [...cliArgs, ...args], { cwd: repoRoot, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/**
 * Runs `chaibox serve` on a free port with a fresh data directory, outside systemd, until `ready` says its
 * output so far is what the test waits for; then `use` gets the process, and serve is stopped (SIGTERM) and
 * its directory removed, whatever `use` did. Returns what serve printed.
 */
export async function withServe(
  args: string[],
  ready: (output: string) => boolean,
  use: (child: ChildProcessWithoutNullStreams) => Promise<void> = () => Promise.resolve(),
): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), "chaibox-serve-"));
  const child = spawn(process.execPath, [...cliArgs, "serve", "--port", "0", "--host", "127.0.0.1", "--no-mdns", "--data-dir", dataDir, ...args], {
    env: { ...process.env, JOURNAL_STREAM: undefined, INVOCATION_ID: undefined, NOTIFY_SOCKET: undefined },
  });
  let output = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve's output did not show what was awaited in 60 s:\n${output}`)), 60_000);
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (ready(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on("exit", (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
    });
    await use(child);
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("close", resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
  return output;
}
