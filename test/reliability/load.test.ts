/**
 * 500 concurrent clients on one model of a real `chaibox serve`: none lost (each gets its reply or a 503
 * with Retry-After), and the API process's RSS comes back within 20 % of where it started.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelStore } from "../../src/models/store.js";
import { testModelPath } from "../helpers/models.js";
import { startServe, type ServeChild } from "./serve-child.js";

let dataDir: string;
let serve: ServeChild;

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "chaibox-load-"));
  await (await ModelStore.open(dataDir)).add(testModelPath("tiny"), { id: "tiny", source: { type: "generated", ref: "tiny" } });
  serve = await startServe(dataDir, { CHAIBOX_AUTH_REQUIRED: "false", CHAIBOX_INFERENCE_PARALLEL: "2", CHAIBOX_INFERENCE_QUEUE_SIZE: "200" });
});
afterAll(async () => {
  serve?.child.kill("SIGTERM");
  await serve?.exited;
  await rm(dataDir, { recursive: true, force: true });
});

const chat = (max: number) =>
  fetch(`${serve.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "hi" }], max_tokens: max }) });

describe("500 concurrent clients", () => {
  it("loses none, refuses past the queue with 503 + Retry-After, and gives the memory back", async () => {
    for (let i = 0; i < 20; i++) await (await chat(2)).arrayBuffer();
    const pid = serve.child.pid!;
    const before = await rssMb(pid);
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 500 }, async () => {
        try {
          const response = await chat(2);
          const body = (await response.json()) as { choices?: unknown[]; error?: { code: string } };
          return { status: response.status, retryAfter: response.headers.get("retry-after"), ok: Array.isArray(body.choices), code: body.error?.code };
        } catch (error) {
          return { status: 0, retryAfter: null, ok: false, code: (error as Error).message };
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const peak = await rssMb(pid);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const after = await rssMb(pid);
    const served = answers.filter((a) => a.status === 200 && a.ok).length;
    const refused = answers.filter((a) => a.status === 503);
    const lost = answers.length - served - refused.length;
    console.log(
      `load: 500 clients in ${seconds.toFixed(1)} s; ${served} served, ${refused.length} refused 503, ${lost} lost; ` +
        `API RSS ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB at the end, ${after.toFixed(0)} MB 3 s later (${(((after - before) / before) * 100).toFixed(1)} %)`,
    );
    expect(lost).toBe(0);
    expect(refused.every((a) => a.retryAfter !== null && Number(a.retryAfter) > 0 && a.code === "queue_full")).toBe(true);
    expect(after).toBeLessThanOrEqual(before * 1.2);
  });
});
