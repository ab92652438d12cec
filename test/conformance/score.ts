/**
 * Scores real servers with `chaibox conformance` and writes the raw reports to docs/conformance/ (the README's
 * table is made from them). Not part of `npm test`.
 *
 *   LLAMA_SERVER=/path/to/llama-server npx tsx test/conformance/score.ts
 *
 * Scores chaibox (auth on, a chat and an embedding model) and llama.cpp's llama-server (built from the
 * llama.cpp source node-llama-cpp bundles: test/bench/build-llama-server.sh prints its path). Both serve
 * the same generated models: llama-server one process with the chat model (`--jinja`, for tools), and a
 * second with the embedding model (`--embeddings`), scored on §8 alone, since one llama-server serves one model.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { runConformance } from "../../src/conformance/run.js";
import { formatReport, formatScore } from "../../src/conformance/score.js";
import type { ConformanceReport } from "../../src/conformance/types.js";
import { repoRoot } from "../helpers/cli.js";
import { ensureTestModels, testModelPath } from "../helpers/models.js";
import { startTestServer } from "../helpers/server.js";

const outDir = join(repoRoot, "docs/conformance");

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function waitHealthy(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`llama-server exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${url} did not become healthy in 120 s`);
}

async function withLlamaServer<T>(binary: string, args: string[], work: (url: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const child = spawn(binary, [...args, "--host", "127.0.0.1", "--port", String(port), "--threads", "2", "--ctx-size", "2048"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url, child);
    return await work(url);
  } catch (error) {
    console.error(log);
    throw error;
  } finally {
    child.kill("SIGTERM");
  }
}

async function save(name: string, report: ConformanceReport, extra: Record<string, unknown>): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, `${name}.json`), `${JSON.stringify({ ...extra, ...report }, null, 2)}\n`);
  console.log(formatReport(report), "\n");
  console.log(`${name}: ${formatScore(report.overall)}\n`);
}

async function main(): Promise<void> {
  await ensureTestModels([{ preset: "demo" }, { preset: "embed" }]);
  const node = process.version;

  const chaibox = await startTestServer({ models: { demo: "demo", embed: "embed" }, auth: true });
  try {
    const token = chaibox.auth.tokens.create("conformance", "inference", "cli").token;
    await save("chaibox", await runConformance({ url: chaibox.url, token, mdns: false }), { implementation: "chaibox", node });
  } finally {
    await chaibox.dispose();
  }

  const binary = process.env.LLAMA_SERVER ?? process.argv[2];
  if (binary === undefined) throw new Error("set LLAMA_SERVER to a llama-server binary (test/bench/build-llama-server.sh prints one)");
  const version = execFileSync(binary, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim() || "unknown";
  const chat = await withLlamaServer(binary, ["-m", testModelPath("demo"), "--alias", "demo", "--jinja"], (url) => runConformance({ url, mdns: false }));
  await save("llama-server", chat, { implementation: "llama-server", llamaServerVersion: version });
  const embeddings = await withLlamaServer(binary, ["-m", testModelPath("embed"), "--alias", "embed", "--embeddings"], (url) =>
    runConformance({ url, mdns: false, section: 8, embeddingModel: "embed", model: "embed" }),
  );
  await save("llama-server-embeddings", embeddings, { implementation: "llama-server", llamaServerVersion: version });
}

// Exit once the reports are written: a llama-server still shutting down must not keep the script waiting.
main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
