/**
 * The CLI's edges: a wrong argument points to the subcommand's own --help, a bad catalog file is a one-line
 * message (no stack trace), and `--json | head` ends quietly when the reader goes away (EPIPE).
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliArgs, runCli } from "../helpers/cli.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "chaibox-cli-finish-"));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe("the CLI's edges", () => {
  it("points a wrong argument to the subcommand's --help", async () => {
    const result = await runCli(["models", "list", "--bogus", "--data-dir", dir]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^chaibox: .*bogus.* \(see 'chaibox models --help'\)$/);
  });

  it("says a bad catalog file is bad in a message, not a stack trace", async () => {
    const file = join(dir, "catalog.json");
    await writeFile(file, "{ not json");
    const result = await runCli(["models", "recommend", "--catalog", file, "--data-dir", dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^chaibox: cannot read the model catalog .*catalog\.json/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("ends quietly when the reader of --json goes away", async () => {
    // A saved snapshot: no GPU probe, whose warnings would go to stderr.
    const fixture = new URL("../fixtures/hardware/intel-n100-16gb.json", import.meta.url).pathname;
    const child = spawn("bash", ["-c", `set -o pipefail; "${process.execPath}" ${cliArgs.map((a) => `'${a}'`).join(" ")} models recommend --json --hardware '${fixture}' --data-dir '${dir}' | head -c 1 >/dev/null`]);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
