/**
 * GET /metrics on a real server: it needs a token, and its Prometheus text (parsed with a real parser) covers
 * requests by route and status with latencies, time to first token and tokens by model, the scheduler, the
 * runners (a killed runner counts as a crash, the next load as a restart), pulls, and Node's process metrics.
 */
import OpenAI from "openai";
import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let token: string;

let lastText = "";

async function scrape(): Promise<PrometheusFamily[]> {
  const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  lastText = await response.text();
  // Throws on any line that is not valid exposition format.
  return parsePrometheusTextFormat(lastText);
}

/**
 * One labeled histogram series' `_count` or `_sum`. The parser folds a labeled histogram's series into one
 * (it keeps the buckets only), so these are read from their sample lines in the text it validated.
 */
function histogramSample(name: string, suffix: "count" | "sum", labels: Record<string, string>): number {
  const line = lastText.split("\n").find((l) => l.startsWith(`${name}_${suffix}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return Number(line?.split(" ").at(-1) ?? Number.NaN);
}

function family(families: PrometheusFamily[], name: string): PrometheusFamily {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`no metric ${name}`);
  return found;
}

function value(families: PrometheusFamily[], name: string, labels: Record<string, string> = {}): number {
  const sample = family(families, name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return Number(sample?.value ?? sample?.count ?? Number.NaN);
}

beforeAll(async () => {
  server = await startTestServer({ models: { tiny: "tiny" }, auth: true });
  token = server.auth.tokens.create("metrics", "inference", "cli").token;
}, 120_000);
afterAll(async () => {
  await server?.dispose();
});

describe("GET /metrics", () => {
  it("needs a token", async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
  });

  it("counts requests, tokens and time to first token after a chat", async () => {
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: token });
    const completion = await client.chat.completions.create({ model: "tiny", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
    await expect(client.chat.completions.create({ model: "absent", messages: [{ role: "user", content: "hi" }] })).rejects.toThrow();
    const families = await scrape();
    expect(value(families, "chaibox_http_requests_total", { route: "/v1/chat/completions", status: "200", method: "POST" })).toBe(1);
    expect(value(families, "chaibox_http_requests_total", { route: "/v1/chat/completions", status: "404" })).toBe(1);
    const latency = family(families, "chaibox_http_request_duration_seconds");
    expect(latency.type).toBe("HISTOGRAM");
    expect(latency.metrics[0]?.buckets?.["+Inf"]).toBeDefined();
    const chat = { route: "/v1/chat/completions", status: "200" };
    expect(histogramSample("chaibox_http_request_duration_seconds", "count", chat)).toBe(1);
    expect(histogramSample("chaibox_http_request_duration_seconds", "sum", chat)).toBeGreaterThan(0);
    expect(value(families, "chaibox_generated_tokens_total", { model: "tiny" })).toBe(completion.usage?.completion_tokens);
    expect(family(families, "chaibox_time_to_first_token_seconds").type).toBe("HISTOGRAM");
    expect(histogramSample("chaibox_time_to_first_token_seconds", "count", { model: "tiny" })).toBe(1);
    expect(value(families, "chaibox_loaded_models")).toBe(1);
    expect(value(families, "chaibox_queue_depth", { model: "tiny" })).toBe(0);
    expect(value(families, "chaibox_runner_starts_total", { model: "tiny" })).toBe(1);
    expect(value(families, "chaibox_pulls_in_progress")).toBe(0);
    expect(family(families, "chaibox_pull_downloaded_bytes_total").type).toBe("COUNTER");
    // Node's process metrics (prom-client's defaults).
    expect(value(families, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(value(families, "nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
  });

  it("counts a killed runner as a crash and its replacement as a restart", async () => {
    const pid = server.scheduler.loaded()[0]?.pid;
    expect(pid).toBeTypeOf("number");
    process.kill(pid!, "SIGKILL");
    await expect.poll(() => server.scheduler.loaded().length, { timeout: 10_000 }).toBe(0);
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: token });
    await client.chat.completions.create({ model: "tiny", max_tokens: 2, messages: [{ role: "user", content: "hi" }] });
    const families = await scrape();
    expect(value(families, "chaibox_runner_crashes_total", { model: "tiny" })).toBe(1);
    expect(value(families, "chaibox_runner_restarts_total", { model: "tiny" })).toBe(1);
    expect(value(families, "chaibox_runner_starts_total", { model: "tiny" })).toBe(2);
  });
});
