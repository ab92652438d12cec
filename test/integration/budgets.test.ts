/**
 * Per-app budgets against a real chaibox with authentication on, over real HTTP with the official clients:
 * the owner sets an app's monthly budget through the admin API; the app's usage on a local model shows under
 * `local` at no cost and is always allowed, even with a budget of 0; a priced model — a second real chaibox
 * added as an OpenAI-compatible provider with prices, as a paid API would be — costs what its tokens cost,
 * counted under the app and the provider, and is refused with `budget_exceeded` and the figures in both
 * dialects' envelopes once the budget cannot cover it.
 */
import OpenAI, { APIError } from "openai";
import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppToken, List, UsageReport } from "../../src/api/admin/admin-api.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let paid: TestServer;
let admin: string;
let app: { id: string; token: string };

/** 1000 USD per million tokens either way: a cent buys ten tokens. */
const PRICES = { input_per_million_tokens: 1000, output_per_million_tokens: 1000 };
/** The paid provider's model, as this box lists it. */
const PRICED = "cloud/tiny";

beforeAll(async () => {
  paid = await startTestServer({ models: { tiny: "tiny" } });
  server = await startTestServer({
    auth: true,
    models: { tiny: "tiny" },
    config: { providers: [{ id: "cloud", kind: "openai", url: paid.baseURL, name: "Paid API", prices: PRICES }] },
  });
  admin = server.auth.tokens.create("owner", "admin", "cli").token;
  app = server.auth.tokens.create("Garden app", "inference", "pairing");
  for (let i = 0; (await call<{ status: string }>("/admin/providers/cloud")).body.status !== "ready"; i++) {
    if (i > 100) throw new Error("the paid provider never became ready");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});
afterAll(async () => {
  await server?.dispose();
  await paid?.dispose();
});

const call = async <T>(path: string, method = "GET", body?: unknown): Promise<{ status: number; body: T }> => {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
};
const appEntry = async (): Promise<AppToken> => {
  const { body } = await call<List<AppToken>>("/admin/apps");
  const entry = body.data.find((a) => a.id === app.id);
  if (!entry) throw new Error("the app is not listed");
  return entry;
};
const openai = () => new OpenAI({ baseURL: server.baseURL, apiKey: app.token, maxRetries: 0 });
const hello = { messages: [{ role: "user" as const, content: "Hi" }], max_tokens: 4, temperature: 0 };
const month = new Date().toISOString().slice(0, 7);

describe("budgets", () => {
  it("lets the owner set, change and clear an app's monthly budget through the admin API", async () => {
    expect((await appEntry()).budget).toEqual({ monthly_usd: null, month, spent_usd: 0, remaining_usd: null });
    const set = await call<AppToken>(`/admin/apps/${app.id}`, "PATCH", { monthly_budget_usd: 2.5 });
    expect(set.status).toBe(200);
    expect(set.body.budget).toEqual({ monthly_usd: 2.5, month, spent_usd: 0, remaining_usd: 2.5 });
    // Scope and budget in one change; the scope stays as it was when only the budget changes.
    const both = await call<AppToken>(`/admin/apps/${app.id}`, "PATCH", { scope: "models", monthly_budget_usd: null });
    expect(both.body).toMatchObject({ scope: "models", budget: { monthly_usd: null, remaining_usd: null } });
    expect((await call<AppToken>(`/admin/apps/${app.id}`, "PATCH", { scope: "inference" })).body.scope).toBe("inference");

    for (const bad of [{ monthly_budget_usd: -1 }, { monthly_budget_usd: "5" }, {}]) {
      const refused = await call<{ error: { code: string } }>(`/admin/apps/${app.id}`, "PATCH", bad);
      expect(refused.status, JSON.stringify(bad)).toBe(400);
      expect(refused.body.error.code).toMatch(/invalid_/);
    }
    expect((await call(`/admin/apps/tok_unknown`, "PATCH", { monthly_budget_usd: 1 })).status).toBe(404);
    // An app cannot change budgets itself.
    const own = await fetch(`${server.url}/admin/apps/${app.id}`, { method: "PATCH", headers: { authorization: `Bearer ${app.token}`, "content-type": "application/json" }, body: JSON.stringify({ monthly_budget_usd: 100 }) });
    expect(own.status).toBe(403);
  });

  it("always allows a local model, even with a budget of 0, and shows its usage under local at no cost", async () => {
    await call(`/admin/apps/${app.id}`, "PATCH", { monthly_budget_usd: 0 });
    const reply = await openai().chat.completions.create({ model: "tiny", ...hello });
    expect(reply.usage?.prompt_tokens).toBeGreaterThan(0);
    const ollama = new Ollama({ host: server.url, headers: { authorization: `Bearer ${app.token}` } });
    const chat = await ollama.chat({ model: "tiny", messages: hello.messages, options: { num_predict: 4 } });
    expect(chat.done).toBe(true);

    const entry = await appEntry();
    expect(entry.budget).toEqual({ monthly_usd: 0, month, spent_usd: 0, remaining_usd: 0 });
    expect(entry.usage_by_provider).toEqual([
      {
        provider: "local",
        prompt_tokens: (reply.usage?.prompt_tokens ?? 0) + (chat.prompt_eval_count ?? 0),
        completion_tokens: (reply.usage?.completion_tokens ?? 0) + (chat.eval_count ?? 0),
        requests: 2,
        cost_usd: 0,
      },
    ]);
    const report = await call<UsageReport>("/admin/usage");
    expect(report.body).toMatchObject({ object: "usage", month, total_cost_usd: 0 });
    expect(report.body.data).toContainEqual({ app_id: app.id, name: "Garden app", cost_usd: 0, usage_by_provider: entry.usage_by_provider });
  });

  it("refuses a priced model the budget cannot cover with budget_exceeded and the figures, in both envelopes", async () => {
    const error = await openai()
      .chat.completions.create({ model: PRICED, ...hello })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(402);
    expect((error as APIError).code).toBe("budget_exceeded");
    expect((error as APIError).error).toMatchObject({
      type: "invalid_request_error",
      param: null,
      budget: { month, budget_usd: 0, spent_usd: 0, remaining_usd: 0, estimated_cost_usd: 0.001, currency: "USD" },
    });
    // Streamed, the refusal comes before the stream starts.
    const streamed = await openai()
      .chat.completions.create({ model: PRICED, ...hello, stream: true })
      .catch((e: unknown) => e);
    expect((streamed as APIError).status).toBe(402);

    const ollama = await fetch(`${server.url}/api/chat`, { method: "POST", headers: { authorization: `Bearer ${app.token}` }, body: JSON.stringify({ model: PRICED, messages: hello.messages }) });
    expect(ollama.status).toBe(402);
    const body = (await ollama.json()) as { error: string };
    expect(body.error).toMatch(new RegExp(`monthly budget of 0 USD for ${month} cannot cover this request to 'cloud/tiny': 0 USD spent, 0 USD left, .*at least 0\\.001 USD`));
    expect((await appEntry()).usage_by_provider.map((u) => u.requests)).toEqual([2]);
  });

  it("spends a budget of one cent on a priced model, then refuses it while the local model still answers", async () => {
    await call(`/admin/apps/${app.id}`, "PATCH", { monthly_budget_usd: 0.01 });
    // The prompt's minimum (one token, 0.001 USD) fits the cent; the whole chat, template and answer, costs more.
    const first = await openai().chat.completions.create({ model: PRICED, ...hello });
    const tokens = (first.usage?.prompt_tokens ?? 0) + (first.usage?.completion_tokens ?? 0);
    expect(tokens).toBeGreaterThan(10);
    const entry = await appEntry();
    expect(entry.budget).toEqual({ monthly_usd: 0.01, month, spent_usd: tokens / 1000, remaining_usd: 0 });
    expect(entry.usage_by_provider.find((u) => u.provider === "cloud")).toMatchObject({ requests: 1, cost_usd: tokens / 1000 });

    const refused = await openai()
      .chat.completions.create({ model: PRICED, ...hello })
      .catch((e: unknown) => e);
    expect((refused as APIError).status).toBe(402);
    expect((refused as APIError).error).toMatchObject({ budget: { budget_usd: 0.01, spent_usd: tokens / 1000, remaining_usd: 0 } });
    expect((await openai().chat.completions.create({ model: "tiny", ...hello })).choices[0]?.message.role).toBe("assistant");

    // The owner (no app token) has no budget; its calls are counted apart.
    const owner = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${server.localKey}`, "content-type": "application/json" }, body: JSON.stringify({ model: PRICED, ...hello }) });
    expect(owner.status).toBe(200);
    const report = await call<UsageReport>(`/admin/usage?month=${month}`);
    expect(report.body.data.find((a) => a.app_id === null)).toMatchObject({ name: "The owner (no app token)", usage_by_provider: [{ provider: "cloud", requests: 1 }] });
    expect(report.body.total_cost_usd).toBeGreaterThan(tokens / 1000);
    expect((await call(`/admin/usage?month=2026-13`)).status).toBe(400);
    expect((await call<UsageReport>(`/admin/usage?month=2001-01`)).body).toEqual({ object: "usage", month: "2001-01", data: [], total_cost_usd: 0 });
  });

  it("adds up each priced call's cost under the app and the provider, once the owner lifts the budget", async () => {
    const before = (await appEntry()).usage_by_provider.find((u) => u.provider === "cloud");
    await call(`/admin/apps/${app.id}`, "PATCH", { monthly_budget_usd: null });
    let tokens = 0;
    for (let i = 0; i < 2; i++) {
      const reply = await openai().chat.completions.create({ model: PRICED, ...hello });
      tokens += (reply.usage?.prompt_tokens ?? 0) + (reply.usage?.completion_tokens ?? 0);
    }
    const after = (await appEntry()).usage_by_provider.find((u) => u.provider === "cloud");
    expect(after?.requests).toBe((before?.requests ?? 0) + 2);
    expect(after?.cost_usd).toBeCloseTo((before?.cost_usd ?? 0) + tokens / 1000, 9);
  });
});
