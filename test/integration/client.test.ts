/**
 * `chaibox/client` against a real server with auth on: the discovery document, models with their chai
 * metadata, selection, and pairing through the device flow, including a `slow_down` answer.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChaiClient, ChaiError, wellKnown } from "../../src/client/index.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ models: { demo: "demo" }, auth: true, pairing: { intervalSeconds: 1 } });
}, 120_000);
afterAll(async () => {
  await server?.dispose();
});

describe("chaibox/client", () => {
  it("reads the discovery document", async () => {
    const document = await wellKnown(server.url);
    expect(document).toMatchObject({ chai_version: "1.0", api_base: "/v1", auth: { required: true, pairing_endpoint: "/chai/v1/pairings" } });
  });

  it("refuses models without a token, with the server's error code", async () => {
    const error = await new ChaiClient(server.url).models().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChaiError);
    expect(error).toMatchObject({ status: 401, code: "invalid_api_key" });
  });

  it("pairs (answering slow_down by polling 5 s slower), then lists, selects and chats with the token", async () => {
    const client = new ChaiClient(server.url);
    const polls: string[] = [];
    let shown = "";
    const startedAt = Date.now();
    // Polling every 0.2 s is too fast for the server's 1 s: the second poll is answered slow_down.
    const token = await client.pair({
      appName: "Client test",
      intervalSeconds: 0.2,
      onCode: ({ userCode, verificationUriComplete }) => {
        shown = userCode;
        expect(verificationUriComplete).toContain(userCode);
      },
      onPoll: (code) => {
        polls.push(code);
        // The owner approves once the app has been told to slow down.
        if (code === "slow_down") server.auth.pairings.answer(server.auth.pairings.pending().find((p) => p.userCode === shown)!.id, true);
      },
    });
    expect(polls).toEqual(["authorization_pending", "slow_down"]);
    // After slow_down the next poll waited the server's interval plus 5 s, and was answered with the token.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(6000);
    expect(client.token).toBe(token);

    await client.wellKnown();
    const models = await client.models();
    expect(models.map((m) => m.id)).toEqual(["demo"]);
    expect(models[0]?.chai.capabilities.streaming).toBe(true);
    const selection = await client.select({ capabilities: ["json_schema"] });
    expect(selection.data[0]?.model).toBe("demo");
    const impossible = await client.select({ min_context_length: 10_000_000 });
    expect(impossible.rejected[0]?.failed[0]).toMatch(/^min_context_length: /);

    const openai = new OpenAI({ baseURL: client.baseURL, apiKey: token });
    const reply = await openai.chat.completions.create({ model: "demo", max_tokens: 3, messages: [{ role: "user", content: "hi" }] });
    expect(reply.usage?.completion_tokens).toBeGreaterThan(0);
  }, 60_000);

  it("withdraws the request when the app gives up", async () => {
    const client = new ChaiClient(server.url);
    const controller = new AbortController();
    const pairing = client.pair({ appName: "Impatient app", onCode: () => void setTimeout(() => controller.abort(new Error("closed")), 100), signal: controller.signal });
    await expect(pairing).rejects.toThrow("closed");
    expect(server.auth.pairings.pending().map((p) => p.appName)).not.toContain("Impatient app");
  });
});
