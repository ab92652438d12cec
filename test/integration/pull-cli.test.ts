/** `chaibox models pull` as a user runs it: the real CLI (through tsx), a real server, a real SIGKILL. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelStore } from "../../src/models/store.js";
import { sha256Of, startFileServer, type FileServer } from "../helpers/file-server.js";
import { testCatalogEntry, writeTestCatalog } from "../helpers/catalog.js";
import { testModelPath } from "../helpers/models.js";
import { cliArgs, repoRoot, runCli } from "../helpers/cli.js";

// The file server is on 127.0.0.1, which pulls refuse unless the owner allows it: the CLIs started here
// inherit this environment.
process.env.CHAIBOX_MODELS_ALLOW_HOSTS = "127.0.0.1";

const root = repoRoot;
const cli = cliArgs;
const run = runCli;

/** Resolves with the first JSON line on the child's stdout that `accept` takes. */
function firstLine(child: ChildProcessWithoutNullStreams, accept: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`the CLI exited with ${code} first: ${stderr}`)));
    createInterface({ input: child.stdout }).on("line", (text) => {
      const line = JSON.parse(text) as Record<string, unknown>;
      if (accept(line)) resolve(line);
    });
  });
}

let server: FileServer;
let demo: Buffer;
let dataDir: string;
beforeAll(async () => {
  demo = await readFile(testModelPath("demo"));
  server = await startFileServer();
  dataDir = await mkdtemp(join(tmpdir(), "chaibox-pull-cli-"));
});
afterAll(async () => {
  await server.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("chaibox models pull", () => {
  it("resumes after the CLI was killed with SIGKILL mid-pull, and refuses a second process meanwhile", async () => {
    // Slow enough that the download is still running when a second CLI (a few seconds to start) tries it too.
    server.files.set("/models/demo.gguf", { body: demo, bytesPerSecond: 250_000 });
    const url = server.url("/models/demo.gguf");
    const flags = ["--data-dir", dataDir];
    const child = spawn(process.execPath, [...cli, "models", "pull", url, "--json", ...flags], { cwd: root });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      const progress = await firstLine(child, (line) => Number(line.received_bytes) >= 1_000_000);
      expect(progress).toMatchObject({ type: "progress", state: "downloading", model_id: "demo", total_bytes: demo.length });

      const second = await run(["models", "pull", url, ...flags]);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(new RegExp(`another chaibox process \\(pid ${child.pid}\\) is already downloading`));
      expect(second.stderr.trim().split("\n").at(-1)).toMatch(/^chaibox: /);
    } finally {
      child.kill("SIGKILL");
      await exited;
    }

    const partial = (await readdir(join(dataDir, "downloads"))).find((f) => f.endsWith(".partial"));
    expect(partial).toBeDefined();
    const kept = (await stat(join(dataDir, "downloads", partial!))).size;
    expect(kept).toBeGreaterThanOrEqual(1_000_000);
    expect(kept).toBeLessThan(demo.length);

    server.files.set("/models/demo.gguf", { body: demo });
    const again = await run(["models", "pull", url, ...flags]);
    expect(again.stderr).toContain(`Resuming at`);
    // A URL is its own source: named once.
    expect(again.stderr.split(url)).toHaveLength(2);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Installed demo \(5\.\d MB, llama\)\./m);
    const gets = server.gets("/models/demo.gguf");
    expect(gets.at(-1)).toMatchObject({ range: `bytes=${kept}-`, status: 206 });
    const model = await (await ModelStore.open(dataDir)).require("demo");
    expect(model.sha256).toBe(sha256Of(demo));
    expect(sha256Of(await readFile(model.path))).toBe(sha256Of(demo));
    expect(await readdir(join(dataDir, "downloads"))).toEqual([]);
  });

  it("stops on Ctrl-C, keeping the downloaded part and saying how to resume", async () => {
    server.files.set("/models/interrupted.gguf", { body: demo, bytesPerSecond: 1_000_000 });
    const dir = join(dataDir, "interrupted");
    const child = spawn(process.execPath, [...cli, "models", "pull", server.url("/models/interrupted.gguf"), "--json", "--data-dir", dir], { cwd: root });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    await firstLine(child, (line) => Number(line.received_bytes) > 0);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/Stopped\. The downloaded part is kept in .*downloads; run the same command again to resume\./);
    const kept = await readdir(join(dir, "downloads"));
    expect(kept.some((f) => f.endsWith(".partial"))).toBe(true);
    expect(kept.some((f) => f.endsWith(".lock"))).toBe(false);
  });

  it("pulls a catalog name from the configured hf endpoint and fails with one line on a wrong checksum", async () => {
    const tiny = await readFile(testModelPath("tiny"));
    server.files.set("/acme/tiny-gguf/resolve/main/tiny-Q8_0.gguf", { body: tiny });
    const file = { quant: "Q8_0", uri: "hf:acme/tiny-gguf/tiny-Q8_0.gguf", sizeBytes: tiny.length, sha256: "f".repeat(64) };
    const catalogFile = await writeTestCatalog(dataDir, [testCatalogEntry([file])]);
    const configFile = join(dataDir, "config.yaml");
    await writeFile(configFile, `models:\n  hfEndpoint: ${server.origin}\n  catalogFile: ${catalogFile}\n`);
    const flags = ["--data-dir", join(dataDir, "catalog"), "--config", configFile];

    const refused = await run(["models", "pull", "tiny-chat", ...flags]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split("\n").at(-1)).toMatch(/^chaibox: .*has SHA-256 [0-9a-f]{64}, but f{64} was expected/);
    expect(await (await ModelStore.open(join(dataDir, "catalog"))).list()).toEqual([]);

    await writeTestCatalog(dataDir, [testCatalogEntry([{ ...file, sha256: sha256Of(tiny) }])]);
    const pulled = await run(["models", "pull", "tiny-chat", "--json", ...flags]);
    expect(pulled.code, pulled.stderr).toBe(0);
    const last = JSON.parse(pulled.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(last).toMatchObject({ type: "done", state: "done", model_id: "tiny-chat", model: { id: "tiny-chat", sha256: sha256Of(tiny) } });
  });
});
