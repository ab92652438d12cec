/**
 * Generated models whose chat template is a real tool-calling one (Qwen2.5's, Llama 3.1's): they report tool
 * calling in Chai discovery and Ollama's show, `model: "auto"` picks one of them over a larger model without
 * tools when a request carries tools, and a forced call comes back parsed from the family's own syntax.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChaiModel } from "../../src/models/description/model-description.js";
import { ensureTestModels } from "../helpers/models.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let client: OpenAI;

const TOOL_MODELS = ["tiny-qwen", "tiny-llama"];
const TOOLS: OpenAI.ChatCompletionTool[] = [
  {
    type: "function",
    function: { name: "turn_on_light", description: "Turns a light on", parameters: { type: "object", properties: { room: { type: "string", enum: ["kitchen", "hall"] } }, required: ["room"] } },
  },
];

beforeAll(async () => {
  await ensureTestModels([{ preset: "tiny-qwen" }, { preset: "tiny-llama3.1" }]);
  server = await startTestServer({ models: { demo: "demo", "tiny-qwen": "tiny-qwen", "tiny-llama": "tiny-llama3.1" } });
  client = new OpenAI({ baseURL: server.baseURL, apiKey: "unused", maxRetries: 0 });
}, 120_000);
afterAll(async () => {
  await server?.dispose();
});

describe("test models with a tool-calling template", () => {
  it("report tool calling in discovery and in Ollama's show; the ChatML model does not", async () => {
    const { data } = (await (await fetch(`${server.baseURL}/models`)).json()) as { data: ChaiModel[] };
    const tools = Object.fromEntries(data.map((m) => [m.id, m.chai.capabilities.tools]));
    expect(tools).toEqual({ demo: false, "tiny-qwen": true, "tiny-llama": true });
    for (const [model, expected] of [["tiny-qwen", true], ["tiny-llama", true], ["demo", false]] as const) {
      const show = await fetch(`${server.url}/api/show`, { method: "POST", body: JSON.stringify({ model }), headers: { "content-type": "application/json" } });
      const { capabilities } = (await show.json()) as { capabilities: string[] };
      expect(capabilities.includes("tools"), model).toBe(expected);
    }
  });

  it('model "auto" serves a request without tools with the larger model, and one with tools with a tool model', async () => {
    const plain = await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "Hi" }], max_tokens: 4 });
    expect(plain.model).toBe("demo");
    const withTools = await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "Lights on" }], tools: TOOLS, max_tokens: 4 });
    expect(TOOL_MODELS).toContain(withTools.model);
    expect(withTools.usage?.completion_tokens).toBeGreaterThan(0);
    // tool_choice none asks for no tools, so the larger model serves it again.
    const none = await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "Hi" }], tools: TOOLS, tool_choice: "none", max_tokens: 4 });
    expect(none.model).toBe("demo");
  });

  it("select names why the model without tools cannot serve a tool request", async () => {
    const response = await fetch(`${server.url}/chai/v1/select`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ requirements: { capabilities: ["tools"] } }),
    });
    const body = (await response.json()) as { data: { model: string }[]; rejected: { model: string; failed: string[] }[] };
    expect(body.data.map((c) => c.model).sort()).toEqual(TOOL_MODELS.slice().sort());
    expect(body.rejected).toEqual([{ model: "demo", failed: ["capabilities: no tools"] }]);
  });

  it.each(TOOL_MODELS)("%s makes a forced call in its own syntax, parsed into tool_calls", async (model) => {
    const reply = await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "Turn on the kitchen light" }],
      tools: TOOLS,
      tool_choice: { type: "function", function: { name: "turn_on_light" } },
      // The tiny model writes random characters; the enum keeps the call's arguments short.
      max_tokens: 200,
    });
    const call = reply.choices[0]?.message.tool_calls?.[0];
    expect(reply.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && call.function.name).toBe("turn_on_light");
    const args = JSON.parse(call?.type === "function" ? call.function.arguments : "null") as { room?: unknown };
    expect(["kitchen", "hall"]).toContain(args.room);
  });
});
