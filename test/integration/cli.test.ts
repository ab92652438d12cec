/** The `chaibox` command as a user runs it: help, errors, models, and `serve --dev` with README's curl example. */
import { spawn, execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "../helpers/models.js";
import { cliArgs, repoRoot, runCli } from "../helpers/cli.js";

const root = repoRoot;
const cli = cliArgs;
const run = runCli;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "chaibox-cli-"));
});
afterAll(async () => rm(dataDir, { recursive: true, force: true }));

describe("chaibox CLI", () => {
  it("helps", async () => {
    const main = await run(["--help"]);
    expect(main.code).toBe(0);
    for (const command of ["serve", "models", "make-test-model"]) expect(main.stdout).toContain(command);
    const serve = await run(["serve", "--help"]);
    expect(serve.stdout).toContain("CHAIBOX_INFERENCE_CONTEXT_SIZE");
    expect(serve.stdout).toContain("--dev");
    const unknown = await run(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });

  it("adds, lists and removes models, refusing bad files and ids with one line", async () => {
    const flags = ["--data-dir", dataDir];
    const notGguf = join(dataDir, "notes.gguf");
    await writeFile(notGguf, "hello");
    const refused = await run(["models", "add", notGguf, ...flags]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toMatch(/not a GGUF file/);
    const badId = await run(["models", "add", testModelPath("tiny"), "--id", "../up", ...flags]);
    expect(badId.code).toBe(1);
    expect(badId.stderr).toMatch(/Invalid model id/);

    expect((await run(["models", "add", testModelPath("tiny"), "--id", "tiny:q8", ...flags])).code).toBe(0);
    const listed = JSON.parse((await run(["models", "list", "--json", ...flags])).stdout) as { id: string; size_bytes: number }[];
    expect(listed.map((m) => m.id)).toEqual(["tiny:q8"]);
    expect(listed[0]?.size_bytes).toBeGreaterThan(1000);
    expect((await run(["models", "rm", "tiny:q8", ...flags])).code).toBe(0);
    const missing = await run(["models", "rm", "tiny:q8", ...flags]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
  });

  it("stops at startup on an invalid config file, listing every error", async () => {
    const file = join(dataDir, "bad.yaml");
    await writeFile(file, "port: lots\ninference:\n  threads: 0\n");
    const result = await run(["serve", "--config", file, "--data-dir", dataDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("port");
    expect(result.stderr).toContain("inference.threads");
  });

  it("serve --dev installs the demo model and answers README's curl example", async () => {
    const port = await freePort();
    const devDir = join(dataDir, "dev");
    const server = spawn(process.execPath, [...cli, "serve", "--dev", "--data-dir", devDir, "--port", String(port), "--host", "127.0.0.1"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let log = "";
      await new Promise<void>((resolve, reject) => {
        server.stdout.on("data", (chunk: Buffer) => {
          log += chunk.toString();
          if (log.includes("chaibox is serving")) resolve();
        });
        server.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${log}`)));
      });
      expect(log).toMatch(/weights are random/);

      const readme = await readFile(join(root, "README.md"), "utf8");
      const example = /```sh\n(curl [^`]*?\/v1\/chat\/completions[^`]*?)```/.exec(readme)?.[1];
      expect(example, "README has a curl example").toBeTruthy();
      const command = example!.replaceAll("localhost:8080", `127.0.0.1:${port}`);
      const { stdout } = await promisify(execFile)("sh", ["-c", command]);
      const reply = JSON.parse(stdout) as { object: string; model: string; choices: { message: { content: string } }[] };
      expect(reply.object).toBe("chat.completion");
      expect(reply.model).toBe("chaibox-demo");
      expect(reply.choices[0]?.message.content).toMatch(/[a-z]/);

      const models = JSON.parse((await run(["models", "list", "--json", "--data-dir", devDir])).stdout) as { id: string; gguf: { description?: string } }[];
      expect(models[0]?.id).toBe("chaibox-demo");
      expect(models[0]?.gguf.description).toMatch(/random/i);
    } finally {
      server.kill("SIGTERM");
      await new Promise((resolve) => server.once("exit", resolve));
    }
  });
});
