/**
 * Home Assistant's Ollama integration, replayed request by request as it talks to a server (the requests
 * its Python `ollama` client sends, byte for byte in shape): list the models, pull the chosen one, chat with
 * the system prompt, tools, `keep_alive: -1` and `options.num_ctx: 8192`, send a tool result back, and go
 * on with the conversation. Each response is checked for the fields the integration reads. The same sequence
 * runs on a model whose own template calls tools (Qwen2.5's): it reports tool calling in `/api/show`, and its
 * calls come back in Qwen's `<tool_call>` syntax, parsed.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCatalogEntry, writeTestCatalog } from "../helpers/catalog.js";
import { sha256Of, startFileServer, type FileServer } from "../helpers/file-server.js";
import { ensureTestModels, testModelPath } from "../helpers/models.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let files: FileServer;
let dir: string;

/** The model the user picks in Home Assistant's list: a catalog model known by an Ollama name. */
const MODEL = "demochat:5m";
/** A model installed on the box whose template is Qwen2.5's, which calls tools in a syntax of its own. */
const TOOL_MODEL = "tiny-qwen:latest";

const SYSTEM_PROMPT =
  "You are a voice assistant for Home Assistant.\nAnswer questions about the world truthfully.\nAnswer in plain text. Keep it simple and to the point.\n" +
  "Current time is 18:04:12. Today's date is 2026-11-27.\nStatic Context: An overview of the areas and the devices in this smart home:\n- names: Kitchen Light\n  domain: light\n  state: 'off'\n  areas: Kitchen\n";

/** Two of the intent tools Home Assistant offers, as its integration formats them (OpenAPI parameters). */
const TOOLS = [
  {
    type: "function",
    function: {
      name: "HassTurnOn",
      description: "Turns on/opens/presses a device or entity. For locks, this performs a 'lock' action.",
      parameters: {
        type: "object",
        properties: { name: { type: "string" }, area: { type: "string" }, domain: { type: "array", items: { type: "string", enum: ["light", "switch"] } } },
        required: [],
      },
    },
  },
  {
    type: "function",
    function: {
      name: "GetLiveContext",
      description: "Provides real-time information about the CURRENT state, value, or mode of devices, sensors, entities, or areas.",
      parameters: { type: "object", properties: {}, required: [] },
    },
  },
];

interface ChatChunk {
  model: string;
  created_at: string;
  message: { role: string; content?: string; thinking?: string; tool_calls?: { function: { name: string; arguments: Record<string, unknown> } }[] };
  done: boolean;
  done_reason?: string;
  eval_count?: number;
}

async function post(path: string, body: unknown, on: TestServer = server): Promise<Response> {
  return fetch(`${on.url}/api/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** Reads an NDJSON stream as Home Assistant's client does: one JSON object per line. */
async function ndjson(response: Response): Promise<ChatChunk[]> {
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get("content-type")).toContain("application/x-ndjson");
  const lines = (await response.text()).split("\n").filter((line) => line.trim() !== "");
  return lines.map((line) => JSON.parse(line) as ChatChunk);
}

/** What `_transform_stream` reads of each chunk; it must all be well-formed. */
function checkChunks(chunks: ChatChunk[], model: string): void {
  expect(chunks.length).toBeGreaterThan(0);
  for (const chunk of chunks) {
    expect(chunk.model).toBe(model);
    expect(chunk.message.role).toBe("assistant");
    if (chunk.message.content !== undefined) expect(typeof chunk.message.content).toBe("string");
    for (const call of chunk.message.tool_calls ?? []) {
      expect(typeof call.function.name).toBe("string");
      expect(typeof call.function.arguments).toBe("object");
    }
  }
  expect(chunks.slice(0, -1).every((c) => c.done === false)).toBe(true);
  expect(chunks.at(-1)).toMatchObject({ done: true, done_reason: expect.stringMatching(/^(stop|length)$/) as unknown });
}

/** The assistant turn Home Assistant records from the chunks (and sends back as history). */
function assistantTurn(chunks: ChatChunk[]) {
  const toolCalls = chunks.flatMap((c) => c.message.tool_calls ?? []);
  return {
    role: "assistant",
    content: chunks.map((c) => c.message.content ?? "").join(""),
    thinking: null,
    tool_calls: toolCalls.length > 0 ? toolCalls.map((c) => ({ function: { name: c.function.name, arguments: c.function.arguments } })) : null,
  };
}

/**
 * Home Assistant's conversation on `model` (of `on`): a turn, a forced tool call, the tool's result, and one
 * more turn, under `system`.
 */
async function converse(model: string, on: TestServer = server, system = SYSTEM_PROMPT): Promise<void> {
  // A conversation turn, as `_async_handle_chat_log` sends it.
  const history: Record<string, unknown>[] = [
    { role: "system", content: system },
    { role: "user", content: "Turn on the kitchen light" },
  ];
  const request = { model, tools: TOOLS, stream: true, keep_alive: -1, options: { num_ctx: 8192 }, think: false };
  const first = await ndjson(await post("chat", { ...request, messages: history }, on));
  checkChunks(first, model);

  // A random-weight model never decides to call a tool by itself, so the call is forced (chaibox's
  // tool_choice extension); everything Home Assistant then sends is as it would send it.
  const forced = await ndjson(await post("chat", { ...request, messages: history, tool_choice: { type: "function", function: { name: "GetLiveContext" } } }, on));
  checkChunks(forced, model);
  const call = assistantTurn(forced);
  expect(call.tool_calls?.[0]?.function.name).toBe("GetLiveContext");
  history.push(call);
  // The tool result: role tool, the result as JSON text, no tool name (as the integration sends it).
  history.push({ role: "tool", content: JSON.stringify({ data: { success: true, result: "Kitchen Light (light): off" }, error: null }) });
  const answer = await ndjson(await post("chat", { ...request, messages: history }, on));
  checkChunks(answer, model);
  history.push(assistantTurn(answer));

  // The conversation goes on with the whole history.
  history.push({ role: "user", content: "And now turn it off" });
  const next = await ndjson(await post("chat", { ...request, messages: history }, on));
  checkChunks(next, model);
  expect(next.at(-1)?.eval_count).toBeGreaterThan(0);

  // keep_alive -1: the model stays loaded.
  const ps = (await (await fetch(`${on.url}/api/ps`)).json()) as { models: { model: string; expires_at: string }[] };
  const loaded = ps.models.find((m) => m.model === model);
  expect(new Date(String(loaded?.expires_at)).getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
}

beforeAll(async () => {
  const demo = await readFile(testModelPath("demo"));
  files = await startFileServer();
  files.files.set("/test/demo-chat/resolve/main/demo.gguf", { body: demo });
  dir = await mkdtemp(join(tmpdir(), "chaibox-ha-"));
  const file = { quant: "Q8_0", uri: "hf:test/demo-chat/demo.gguf", sizeBytes: demo.length, sha256: sha256Of(demo) };
  const entry = testCatalogEntry([file], {
    id: "demo-chat",
    name: "Demo chat",
    ollama: [MODEL],
    parameters: 1_000_000,
    contextLength: 2048,
    architecture: { layers: 2, embeddingLength: 128, headCount: 4, headCountKv: 4, vocabularySize: 2000 },
  });
  const catalogFile = await writeTestCatalog(dir, [entry]);
  // The chosen model is not on the box: Home Assistant pulls it. A tool-calling model is installed already.
  await ensureTestModels([{ preset: "tiny-qwen" }]);
  server = await startTestServer({ models: { "tiny-qwen": "tiny-qwen" }, modelsConfig: { catalogFile, hfEndpoint: files.origin } });
});
afterAll(async () => {
  await server?.dispose();
  await files?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("Home Assistant's Ollama integration", () => {
  it("lists, pulls, chats with tools, sends a tool result back and goes on", async () => {
    // Config flow: the connection check and the model list (it reads `model` of each entry).
    const tags = (await (await fetch(`${server.url}/api/tags`)).json()) as { models: { model: string }[] };
    expect(tags.models.map((m) => m.model)).not.toContain(MODEL);

    // The chosen model is missing: `client.pull(model)` (the Python client's default is stream=False).
    const pulled = await post("pull", { model: MODEL, insecure: false, stream: false });
    expect(pulled.status, await pulled.clone().text()).toBe(200);
    expect(await pulled.json()).toEqual({ status: "success" });
    const after = (await (await fetch(`${server.url}/api/tags`)).json()) as { models: { model: string }[] };
    expect(after.models.map((m) => m.model)).toContain(MODEL);

    await converse(MODEL);
  });

  it("runs the same conversation on a model whose own template calls tools", async () => {
    const show = (await (await post("show", { model: TOOL_MODEL })).json()) as { capabilities: string[]; template: string };
    expect(show.capabilities).toContain("tools");
    expect(show.template).toContain("<tool_call>");
    await converse(TOOL_MODEL);
  });
});

describe("Home Assistant's context on a model trained for it", () => {
  let long: TestServer;
  beforeAll(async () => {
    await ensureTestModels([{ preset: "tiny-8k" }]);
    long = await startTestServer({ models: { "tiny-8k": "tiny-8k" }, inference: { contextSize: "auto" } });
  });
  afterAll(async () => {
    await long?.dispose();
  });

  it("serves num_ctx 8192 with a ~6,000-token system prompt, and /api/ps shows the context in use", async () => {
    // The static context of a large home: the device overview, one block per entity (the tiny model's
    // vocabulary is one token per character, so this is ~6,000 tokens).
    const devices = Array.from({ length: 60 }, (_, i) => `- names: Light ${i}\n  domain: light\n  state: 'off'\n  areas: Room ${i % 12}\n`).join("");
    const system = (SYSTEM_PROMPT + devices).repeat(2).slice(0, 6000);
    expect(system.length).toBe(6000);
    await converse("tiny-8k:latest", long, system);
    const ps = (await (await fetch(`${long.url}/api/ps`)).json()) as { models: { model: string; context_length: number }[] };
    expect(ps.models.find((m) => m.model === "tiny-8k:latest")?.context_length).toBe(8192);
  });
});
