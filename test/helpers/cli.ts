/** Runs the `chaibox` command from the sources (through tsx), as a user would, for CLI tests. */
import { execFile } from "node:child_process";
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
