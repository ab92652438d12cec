/**
 * sd_notify against a real unix datagram receiver, the way systemd listens: `chaibox serve` started with
 * `NOTIFY_SOCKET` and `WATCHDOG_USEC` asks for start time, says READY once it listens, pings the watchdog at
 * half the interval, and on SIGTERM says STOPPING, lets the stream in flight finish and exits 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelStore } from "../../src/models/store.js";
import { cliArgs, repoRoot } from "../helpers/cli.js";
import { testModelPath } from "../helpers/models.js";

interface Receiver {
  bind(path: string): void;
  on(event: "message", listener: (message: Buffer) => void): void;
  close(): void;
}
const unixDgram = createRequire(import.meta.url)("unix-dgram") as { createSocket(type: "unix_dgram"): Receiver };

let dir: string;
let receiver: Receiver;
const messages: { at: number; fields: Record<string, string> }[] = [];

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(messages.map((m) => m.fields))}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sent = (key: string) => messages.filter((m) => m.fields[key] !== undefined);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "chaibox-notify-"));
  const store = await ModelStore.open(join(dir, "data"));
  await store.add(testModelPath("tiny"), { id: "tiny" });
  receiver = unixDgram.createSocket("unix_dgram");
  receiver.on("message", (message) => {
    const fields = Object.fromEntries(message.toString("utf8").split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
    messages.push({ at: performance.now(), fields });
  });
  receiver.bind(join(dir, "notify.sock"));
});
afterAll(async () => {
  receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("sd_notify", () => {
  it("notifies READY after listening, pings the watchdog, and drains on SIGTERM", async () => {
    const port = await freePort();
    const server: ChildProcess = spawn(process.execPath, [...cliArgs, "serve", "--data-dir", join(dir, "data"), "--port", String(port), "--host", "127.0.0.1", "--no-auth", "--no-mdns"], {
      cwd: repoRoot,
      env: { ...process.env, NOTIFY_SOCKET: join(dir, "notify.sock"), WATCHDOG_USEC: "600000", CHAIBOX_INFERENCE_THREADS: "1", CHAIBOX_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    server.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    server.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => server.once("exit", (code) => resolve(code)));
    try {
      const ready = await until("READY=1", () => sent("READY")[0]);
      // Asked for start time first, and listening by the time READY arrived.
      expect(messages[0]?.fields.EXTEND_TIMEOUT_USEC).toBe("120000000");
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      expect(ready.fields.STATUS).toBe("serving; 1 model installed; none loaded");

      // WATCHDOG_USEC 600 ms: a ping every 300 ms.
      const pings = await until("4 watchdog pings", () => (sent("WATCHDOG").length >= 4 ? sent("WATCHDOG") : undefined), 10_000);
      const gaps = pings.slice(1).map((p, i) => p.at - (pings[i]?.at ?? 0));
      for (const gap of gaps) {
        expect(gap).toBeGreaterThan(150);
        expect(gap).toBeLessThan(600);
      }

      // A stream in flight when SIGTERM arrives still completes.
      const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: 200, stream: true }),
      });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let body = decoder.decode((await reader.read()).value);
      server.kill("SIGTERM");
      await until("STOPPING=1", () => sent("STOPPING")[0], 10_000);
      for (let step = await reader.read(); !step.done; step = await reader.read()) body += decoder.decode(step.value);
      expect(body).toContain('"finish_reason":"length"');
      expect(body.trimEnd().endsWith("data: [DONE]")).toBe(true);
      expect(await exited).toBe(0);
    } finally {
      if (server.exitCode === null) server.kill("SIGKILL");
      if (server.exitCode !== 0 && server.exitCode !== null) console.error(output);
    }
  });
});
