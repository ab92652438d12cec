/**
 * How chaibox is started: from the TypeScript sources through tsx (the default, as `npm run chaibox` does),
 * or from a compiled build, as it runs in production. The tsx loader adds its own memory to the API process
 * and the runner, so the RSS figures of a production box come from the build (`--build`).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";

/** The Node arguments that run the chaibox CLI (before the command's own arguments). */
export interface CliEntry {
  kind: "tsx" | "build";
  args: string[];
}

export const tsxEntry: CliEntry = { kind: "tsx", args: ["--import", "tsx", "src/cli/main.ts"] };

/**
 * Compiles src/ (tsconfig.build.json) into `<cacheDir>/dist`, leaving the repository's own dist/ alone, and
 * returns the entry of the compiled CLI. Node finds the packages in the repository's node_modules from
 * there, and the repository's package.json makes the output ESM.
 */
export async function buildEntry(repoRoot: string, cacheDir: string, log: (line: string) => void): Promise<CliEntry> {
  const outDir = join(cacheDir, "dist");
  log(`compiling chaibox into ${outDir}…`);
  const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
  const args = [tsc, "-p", "tsconfig.build.json", "--outDir", outDir, "--tsBuildInfoFile", join(outDir, ".tsbuildinfo")];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const [code] = (await once(child, "exit")) as [number | null];
  // tsc emits despite type errors; those belong to the typecheck, not to the bench.
  if (code !== 0) log(`tsc exited with ${code} (output emitted anyway):\n${output.split("\n").slice(0, 10).join("\n")}`);
  // As installed: /usr/bin/chaibox starts `serve` with 1 MiB semi-spaces, one V8 helper thread, sized for
  // memory and without the optimizing compiler.
  return { kind: "build", args: ["--max-semi-space-size=1", "--v8-pool-size=1", "--optimize-for-size", "--no-opt", join(outDir, "src", "cli", "main.js")] };
}
