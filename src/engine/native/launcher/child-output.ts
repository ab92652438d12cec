/**
 * Runs one of the short-lived native children (the GPU probe, the engine check) to its end and collects what
 * it printed: both report on stdout, and a child that crashes says why, if anywhere, on stderr.
 */
import { spawn } from "node:child_process";

/** Output kept per stream; a report is one short line and a log beyond this is only noise. */
const MAX_OUTPUT_CHARS = 256 * 1024;

/** How a child ended. */
export interface ChildEnding {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Killed (SIGKILL) after the timeout. */
  timedOut: boolean;
  /** It never started (no such executable, no memory): the reason. */
  spawnError?: string;
}

/** Starts `node args…` and resolves once it has exited; never rejects. */
export function runChild(args: string[], options: { env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ChildEnding> {
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const child = spawn(process.execPath, args, { env: options.env, stdio: ["ignore", "pipe", "pipe"], windowsHide: true });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      if (stdout.length < MAX_OUTPUT_CHARS) stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < MAX_OUTPUT_CHARS) stderr += chunk.toString();
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr, timedOut: false, spawnError: error.message });
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** The last line a child logged on stderr, shortened: the best clue to a crash that printed no report. */
export function lastLogLine(stderr: string): string | undefined {
  const line = stderr.trim().split("\n").pop()?.trim();
  return line ? line.slice(0, 200) : undefined;
}
