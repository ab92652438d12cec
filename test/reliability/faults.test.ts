/**
 * The fault runs, each printing its figures: a runner SIGKILLed mid-stream; the API SIGKILLed mid-pull and
 * mid-write (SQLite intact, the pull resumes); a data disk (small tmpfs) filled during a pull and before
 * requests, with the server's own stdout on that disk; and a sign-in burst during which /v1/models stays fast.
 */
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, open, readdir, readFile, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import type { APIError } from "openai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readServerFile } from "../../src/config/server-file.js";
import { ModelStore } from "../../src/models/store.js";
import { cliArgs, repoRoot, runCli } from "../helpers/cli.js";
import { startFileServer, type FileServer } from "../helpers/file-server.js";
import { testModelPath } from "../helpers/models.js";
import { startTestServer } from "../helpers/server.js";
import { startServe } from "./serve-child.js";

const run = promisify(execFile);
let files: FileServer;
let demo: Buffer;
const dirs: string[] = [];
const mounts: string[] = [];

beforeAll(async () => {
  demo = await readFile(testModelPath("demo"));
  files = await startFileServer({});
});
afterAll(async () => {
  await files.close();
  for (const dir of mounts) await run("umount", ["-l", dir]).catch(() => undefined);
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `chaibox-${name}-`));
  dirs.push(dir);
  return dir;
}

async function withTiny(dataDir: string): Promise<void> {
  await (await ModelStore.open(dataDir)).add(testModelPath("tiny"), { id: "tiny", source: { type: "generated", ref: "tiny" } });
}

async function fillDisk(path: string): Promise<void> {
  const handle = await open(path, "w");
  try {
    for (const size of [1 << 20, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          await handle.write(chunk);
        } catch {
          break;
        }
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}

const post = (url: string, body: unknown, key?: string) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(key !== undefined && { authorization: `Bearer ${key}` }) }, body: JSON.stringify(body) });

async function pullState(url: string, id: string, key: string): Promise<{ state: string; receivedBytes: number; resumedFromBytes: number; error: { code: string; message: string } | null }> {
  return (await (await fetch(`${url}/admin/models/pulls/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as never;
}

describe("fault runs", () => {
  it("a runner SIGKILLed mid-stream: the stream ends with runner_crashed, the next request is served", async () => {
    const server = await startTestServer({ models: { tiny: "tiny" } });
    try {
      const client = new OpenAI({ baseURL: server.baseURL, apiKey: "x", maxRetries: 0 });
      const stream = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "go" }], max_tokens: 2000, stream: true });
      const pid = server.scheduler.loaded()[0]?.pid ?? 0;
      let chunks = 0;
      const error = await (async () => {
        for await (const _ of stream) if (++chunks === 3) process.kill(pid, "SIGKILL");
      })().then(() => undefined, (e: unknown) => e);
      const started = performance.now();
      const next = await client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "again" }], max_tokens: 2 });
      console.log(`fault: runner SIGKILL after ${chunks} chunks → ${(error as APIError).code}; next request served in ${Math.round(performance.now() - started)} ms (new runner)`);
      expect((error as APIError).code).toBe("runner_crashed");
      expect(next.choices).toHaveLength(1);
    } finally {
      await server.dispose();
    }
  });

  it("the API SIGKILLed mid-pull: the restarted server resumes the download", async () => {
    const dataDir = await tempDir("kill-pull");
    files.files.set("/kill/demo.gguf", { body: demo, bytesPerSecond: 1_000_000 });
    const env = { CHAIBOX_AUTH_REQUIRED: "false", CHAIBOX_MODELS_ALLOW_HOSTS: "127.0.0.1" };
    const first = await startServe(dataDir, env);
    const started = (await (await post(`${first.url}/admin/models/pulls`, { ref: files.url("/kill/demo.gguf") }, first.key)).json()) as { id: string };
    let received = 0;
    for (let i = 0; i < 200 && received < 1_500_000; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      received = (await pullState(first.url, started.id, first.key)).receivedBytes;
    }
    first.child.kill("SIGKILL");
    await first.exited;
    files.files.set("/kill/demo.gguf", { body: demo });
    const second = await startServe(dataDir, env);
    try {
      const again = (await (await post(`${second.url}/admin/models/pulls`, { ref: files.url("/kill/demo.gguf") }, second.key)).json()) as { id: string };
      let state = await pullState(second.url, again.id, second.key);
      for (let i = 0; i < 400 && !["done", "failed"].includes(state.state); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        state = await pullState(second.url, again.id, second.key);
      }
      console.log(`fault: API SIGKILL mid-pull at ${received} of ${demo.length} bytes; after restart the pull resumed from ${state.resumedFromBytes} and ended ${state.state}`);
      expect(state.state).toBe("done");
      expect(state.resumedFromBytes).toBeGreaterThan(0);
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });

  it("the API SIGKILLed mid-write: SQLite passes its integrity check and the server serves again", async () => {
    const dataDir = await tempDir("kill-write");
    await withTiny(dataDir);
    const first = await startServe(dataDir);
    let created = 0;
    const writer = (async () => {
      for (;;) {
        const response = await post(`${first.url}/admin/apps`, { name: `app ${created}` }, first.key).catch(() => undefined);
        if (response?.status !== 201) return;
        created++;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    first.child.kill("SIGKILL");
    await Promise.all([first.exited, writer]);
    const db = new Database(join(dataDir, "state.db"));
    const integrity = db.pragma("integrity_check", { simple: true });
    const rows = (db.prepare("SELECT count(*) AS n FROM app_tokens").get() as { n: number }).n;
    db.close();
    const second = await startServe(dataDir);
    try {
      const listed = (await (await fetch(`${second.url}/admin/apps`, { headers: { authorization: `Bearer ${second.key}` } })).json()) as { data: unknown[] };
      console.log(`fault: API SIGKILL mid-write after ${created} acknowledged token writes; integrity_check ${String(integrity)}, ${rows} rows kept, ${listed.data.length} listed after restart`);
      expect(integrity).toBe("ok");
      expect(rows).toBeGreaterThanOrEqual(created);
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });

  it("a full data disk, with the server's stdout on it: a pull fails 507, requests go on, recovery when space returns", async () => {
    const disk = await tempDir("small-disk");
    await run("mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", disk]);
    mounts.push(disk);
    const dataDir = join(disk, "data");
    await mkdir(dataDir);
    await withTiny(dataDir);
    const log = await open(join(disk, "serve.log"), "w");
    const child = spawn(process.execPath, [...cliArgs, "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir, "--no-mdns"], {
      cwd: repoRoot,
      env: { ...process.env, CHAIBOX_AUTH_REQUIRED: "false", CHAIBOX_MODELS_ALLOW_HOSTS: "127.0.0.1", CHAIBOX_MODELS_FREE_SPACE_RESERVE: "0", CHAIBOX_MODELS_BENCHMARK_WHEN_IDLE: "forever", CHAIBOX_INFERENCE_THREADS: "1", CHAIBOX_LOG_LEVEL: "debug" },
      stdio: ["ignore", log.fd, log.fd],
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      let url = "";
      let key = "";
      for (let i = 0; i < 600 && url === ""; i++) {
        const file = await readServerFile(dataDir);
        if (file !== undefined && file.pid === child.pid) {
          url = file.url;
          key = file.adminKey ?? "";
        } else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "x", maxRetries: 0 });
      const chat = () => client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
      await chat();

      // During a pull: the disk fills up under it.
      files.files.set("/full/demo.gguf", { body: demo, bytesPerSecond: 1_000_000 });
      const pull = (await (await post(`${url}/admin/models/pulls`, { ref: files.url("/full/demo.gguf") }, key)).json()) as { id: string };
      await new Promise((resolve) => setTimeout(resolve, 800));
      const filler = join(disk, "filler");
      await fillDisk(filler);
      let state = await pullState(url, pull.id, key);
      for (let i = 0; i < 200 && !["done", "failed"].includes(state.state); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        state = await pullState(url, pull.id, key);
      }
      const leftovers = (await readdir(join(dataDir, "downloads")).catch(() => [])).filter((f) => f.endsWith(".partial"));

      // Before requests: the disk is full now.
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await chat()).choices.length === 1 ? 200 : 0);
      const write = await post(`${url}/admin/apps`, { name: "on a full disk" }, key);
      // Space returns.
      await unlink(filler);
      const after = await post(`${url}/admin/apps`, { name: "after" }, key);
      console.log(
        `fault: disk filled during a pull → ${state.state} ${state.error?.code ?? ""} at ${state.receivedBytes} bytes, ${leftovers.length} partials left; ` +
          `on the full disk ${statuses.filter((s) => s === 200).length}/10 chats served, a token write answered ${write.status}; after freeing space ${after.status}; server alive: ${child.exitCode === null}`,
      );
      expect(state).toMatchObject({ state: "failed", error: { code: "insufficient_storage" } });
      expect(state.error?.message).not.toContain("needs 0 B");
      expect(leftovers).toEqual([]);
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect([201, 507]).toContain(write.status);
      expect(after.status).toBe(201);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill("SIGTERM");
      await exited;
      await log.close();
    }
  });

  it("a sign-in burst: 100 wrong passwords from 20 addresses, /v1/models stays under 200 ms at the median", async () => {
    // The server in its own process, as in production: the burst's clients here do not share its event loop.
    const dataDir = await tempDir("burst");
    await withTiny(dataDir);
    const serve = await startServe(dataDir, { CHAIBOX_TRUST_PROXY: "true" });
    try {
      const code = (JSON.parse((await runCli(["setup-code", "--json", "--data-dir", dataDir])).stdout) as { setup_code: string }).setup_code;
      expect((await post(`${serve.url}/admin/setup`, { setup_code: code, password: "correct horse battery" })).status).toBe(200);
      const token = (await (await post(`${serve.url}/admin/apps`, { name: "probe" }, serve.key)).json()) as { token: string };
      // Warm: the first listing reads every model's description.
      for (let i = 0; i < 3; i++) await (await fetch(`${serve.url}/v1/models`, { headers: { authorization: `Bearer ${token.token}` } })).arrayBuffer();
      const latencies: number[] = [];
      let stop = false;
      const probe = (async () => {
        while (!stop) {
          const started = performance.now();
          await (await fetch(`${serve.url}/v1/models`, { headers: { authorization: `Bearer ${token.token}` } })).arrayBuffer();
          latencies.push(performance.now() - started);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      const burst = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const response = await fetch(`${serve.url}/admin/login`, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": `10.9.0.${i % 20}` }, body: JSON.stringify({ password: `wrong ${i}` }) });
          return response.status;
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      stop = true;
      await probe;
      const sorted = [...latencies].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
      console.log(`fault: sign-in burst: ${burst.filter((s) => s === 401).length} hashed (401), ${burst.filter((s) => s === 429).length} refused 429; /v1/models median ${median.toFixed(1)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms over ${sorted.length} probes`);
      expect(burst.every((s) => s === 401 || s === 429)).toBe(true);
      expect(median).toBeLessThan(200);
    } finally {
      serve.child.kill("SIGTERM");
      await serve.exited;
    }
  });
});
