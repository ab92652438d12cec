/**
 * A full data disk (a small tmpfs, filled to the last byte): inference keeps serving with app tokens (their
 * bookkeeping is batched and best effort), a write the user asked for answers 507 `insufficient_storage`
 * rather than 500, and everything recovers by itself once space returns. Real HTTP, real SQLite.
 */
import { execFile } from "node:child_process";
import { mkdtemp, open, readFile, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { logSink } from "../../src/platform/log-sink.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);
let dir: string;
let server: TestServer;
let inference: string;
let admin: string;

/** Writes `path` until the disk refuses another byte. */
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

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "chaibox-full-disk-"));
  await run("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", dir]);
  server = await startTestServer({ dataDir: join(dir, "data"), auth: true, models: { tiny: "tiny" } });
  inference = server.auth.tokens.create("app", "inference", "cli").token;
  admin = server.auth.tokens.create("owner", "admin", "cli").token;
});
afterAll(async () => {
  await server?.dispose();
  await run("umount", [dir]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe("a full data disk", () => {
  it("keeps serving inference, answers user writes 507, and recovers when space returns", async () => {
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: inference, maxRetries: 0 });
    const chat = () => client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 2 });
    await chat(); // the runner is up before the disk fills
    const filler = join(dir, "filler");
    await fillDisk(filler);

    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await chat()).choices.length > 0 ? 200 : 0);
    for (let i = 0; i < 20; i++) statuses.push((await fetch(`${server.baseURL}/models`, { headers: { authorization: `Bearer ${inference}` } })).status);
    expect(statuses.every((s) => s === 200)).toBe(true);

    // Token creation is a write the owner asked for: it answers 507 once SQLite finds no room (its WAL may
    // still hold a few pages of room first), never 500.
    const writes: number[] = [];
    let answer: { error?: { code: string; message: string } } = {};
    for (let i = 0; i < 300 && !writes.includes(507); i++) {
      const response = await fetch(`${server.url}/admin/apps`, { method: "POST", headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" }, body: JSON.stringify({ name: `app ${i} ${"x".repeat(90)}` }) });
      writes.push(response.status);
      answer = (await response.json()) as typeof answer;
    }
    expect(writes.filter((s) => s !== 201 && s !== 507)).toEqual([]);
    expect(writes).toContain(507);
    expect(answer.error?.code).toBe("insufficient_storage");
    expect(answer.error?.message).toContain("disk is full");
    expect((await chat()).choices.length).toBe(1);

    await unlink(filler);
    const created = await fetch(`${server.url}/admin/apps`, { method: "POST", headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" }, body: JSON.stringify({ name: "after" }) });
    expect(created.status).toBe(201);
    // The requests made while the disk was full were counted, and written once there was room.
    const apps = (await (await fetch(`${server.url}/admin/apps`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { data: { name: string; requests: number }[] };
    expect(apps.data.find((a) => a.name === "app")?.requests).toBeGreaterThanOrEqual(31);
  });
});

describe("logging on a full disk", () => {
  it("drops lines instead of blocking or throwing, and says how many once it can write again", async () => {
    const logFile = join(dir, "log.jsonl");
    const log = await open(logFile, "w");
    const filler = join(dir, "filler-2");
    await fillDisk(filler);
    const sink = logSink({ fd: log.fd, retryMs: 20, maxQueuedBytes: 64 * 1024 });
    const started = performance.now();
    for (let i = 0; i < 5000; i++) sink.write(`${JSON.stringify({ level: 30, msg: `line ${i}` })}\n`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(sink.dropped).toBeGreaterThan(0);
    await unlink(filler);
    sink.write(`${JSON.stringify({ level: 30, msg: "after" })}\n`);
    let text = "";
    for (let i = 0; i < 100 && !text.includes('"after"'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      text = await readFile(logFile, "utf8");
    }
    expect(text).toContain("log lines were dropped");
    expect(text).toContain('"after"');
    await log.close();
  });
});
