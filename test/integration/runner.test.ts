// The runner end to end: real runner child processes, real llama.cpp, the generated tiny model. The tiny
// model emits one printable ASCII character per token and never ends on its own, so every reply is exactly
// maxTokens long unless a stop string, a grammar or an abort ends it.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { readdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatEvent, ChatRequest, JsonSchema, LoadOptions } from "../../src/engine/contract.js";
import { ChildProcessLauncher, type RunnerLogger } from "../../src/engine/native/client.js";
import type { RunnerClient } from "../../src/engine/runner-client.js";
import { ChaiboxError } from "../../src/errors.js";
import { readGgufHeader } from "../../src/gguf/reader.js";
import { collectEvents as collect } from "../helpers/chat-events.js";
import { testModelPath } from "../helpers/models.js";

interface LogRecord {
  level: string;
  fields: Record<string, unknown>;
  message: string | undefined;
}

function collectingLogger(records: LogRecord[]): RunnerLogger {
  const at =
    (level: string) =>
    (fields: object, message?: string): void => {
      records.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}


/** Whether a process is alive; an exited child of a dead parent may linger as a zombie until reaped. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function user(content: string, sampling: ChatRequest["sampling"] = {}): ChatRequest {
  return { messages: [{ role: "user", content }], sampling: { temperature: 0, ...sampling } };
}

function expectChaiboxError(error: unknown, code: string): ChaiboxError {
  expect(error).toBeInstanceOf(ChaiboxError);
  expect((error as ChaiboxError).code).toBe(code);
  return error as ChaiboxError;
}

const weatherParameters: JsonSchema = {
  type: "object",
  properties: {
    city: { type: "string", maxLength: 12 },
    days: { type: "integer", minimum: 1, maximum: 7 },
    unit: { enum: ["c", "f"] },
  },
  required: ["city", "days", "unit"],
  additionalProperties: false,
};
const tools = [
  { name: "get_weather", description: "Weather forecast for a city", parameters: weatherParameters },
  { name: "get_time", description: "The current time" },
];

let runtimeDir: string;
const records: LogRecord[] = [];
let launcher: ChildProcessLauncher;
const neverAborted = new AbortController().signal;
const socketFiles = async (): Promise<string[]> => (await readdir(runtimeDir)).filter((name) => name.endsWith(".sock"));

function loadOptions(overrides: Partial<LoadOptions> = {}): LoadOptions {
  // Function calling with a byte-level vocabulary needs a context of at least 2048.
  return { modelPath: testModelPath("tiny"), contextSize: 2048, parallel: 2, threads: 1, gpuLayers: 0, ...overrides };
}

beforeAll(async () => {
  runtimeDir = await mkdtemp(join(tmpdir(), "chaibox-runner-"));
  launcher = new ChildProcessLauncher({ runtimeDir, logger: collectingLogger(records) });
});

afterAll(async () => {
  await rm(runtimeDir, { recursive: true, force: true });
});

describe("runner with the tiny model", () => {
  let runner: RunnerClient;

  beforeAll(async () => {
    runner = await launcher.launch("tiny", loadOptions());
  });

  afterAll(async () => {
    await runner.stop();
  });

  it("loads and reports the context it allocated", async () => {
    expect(runner.modelId).toBe("tiny");
    expect(runner.pid).toBeGreaterThan(0);
    // One libuv pool thread: every decode from the same thread (and OpenMP team), as in llama-server's loop.
    expect(readFileSync(`/proc/${runner.pid}/environ`, "utf8").split("\0")).toContain("UV_THREADPOOL_SIZE=1");
    // contextSize is per sequence: two sequences of 2048 tokens each.
    expect(runner.info).toEqual({
      kind: "chat",
      embeddingLength: 64,
      contextSize: 4096,
      sequenceContextSize: 2048,
      trainContextSize: 4096,
      parallel: 2,
      threads: 1,
      gpuLayers: 0,
      gpu: false,
    });
    // The socket file is gone once the runner is connected.
    expect(await socketFiles()).toEqual([]);
    // The runner's own log lines reach the API process's logger.
    expect(records.some((r) => r.message === "model loaded" && r.fields.modelId === "tiny")).toBe(true);
  });

  it("chats with real usage counts", async () => {
    const result = await collect(runner.chat(user("Bonjour, ça va? 🙂", { maxTokens: 12 }), neverAborted));
    expect(result.error).toBeUndefined();
    expect(result.done?.finishReason).toBe("length");
    expect(result.done?.usage.completionTokens).toBe(12);
    // One printable character per token.
    expect(result.text).toHaveLength(12);
    // ChatML framing plus the message, with the emoji as 4 byte tokens.
    expect(result.done?.usage.promptTokens).toBeGreaterThan(30);
    expect(result.done?.usage.promptTokens).toBeLessThan(60);
    expect(result.events.at(-1)).toBe(result.done);
    // Measured in the runner and carried over the IPC with `done`.
    expect(result.done?.timings?.promptMs).toBeGreaterThan(0);
    expect(result.done?.timings?.generationMs).toBeGreaterThanOrEqual(0);
  });

  it("streams deltas that concatenate to the final text, stopping at maxTokens", async () => {
    const result = await collect(runner.chat(user("Tell me a story", { maxTokens: 30 }), neverAborted));
    expect(result.deltas.length).toBeGreaterThan(1);
    expect(result.deltas.join("")).toBe(result.text);
    expect(result.text).toHaveLength(30);
    expect(result.done?.finishReason).toBe("length");
    expect(result.done?.usage.completionTokens).toBe(30);
  });

  it("stops before a stop string, which is not part of the output", async () => {
    const plain = await collect(runner.chat(user("Count", { maxTokens: 40 }), neverAborted));
    const stop = plain.text.slice(12, 15);
    const cut = plain.text.indexOf(stop);
    const request = user("Count", { maxTokens: 40, stop: [stop, "never-generated"] });
    const stopped = await collect(runner.chat(request, neverAborted));
    expect(stopped.error).toBeUndefined();
    expect(stopped.text).toBe(plain.text.slice(0, cut));
    expect(stopped.deltas.join("")).toBe(stopped.text);
    expect(stopped.done?.finishReason).toBe("stop");
  });

  it("applies token bias and penalties, and rejects token ids outside the vocabulary", async () => {
    const { metadata } = await readGgufHeader(testModelPath("tiny"));
    const idOfA = (metadata["tokenizer.ggml.tokens"] as string[]).indexOf("a");
    expect(idOfA).toBeGreaterThan(0);
    const sampling = { maxTokens: 6, tokenBias: { [idOfA]: 100 }, presencePenalty: 1.5, frequencyPenalty: -0.5 };
    const biased = await collect(runner.chat(user("Say something", sampling), neverAborted));
    expect(biased.error).toBeUndefined();
    expect(biased.text).toBe("aaaaaa");

    const outside = await collect(runner.chat(user("Hi", { tokenBias: { "999999": 1 } }), neverAborted));
    expect(expectChaiboxError(outside.error, "invalid_request").details.param).toBe("logit_bias");
  });

  it("returns schema-valid JSON for json_schema", async () => {
    const schema: JsonSchema = {
      type: "object",
      properties: {
        name: { type: "string", maxLength: 8 },
        count: { type: "integer", minimum: 0, maximum: 100 },
        tags: { type: "array", items: { type: "string", maxLength: 4 }, maxItems: 3 },
        ok: { type: "boolean" },
      },
      required: ["name", "count", "tags", "ok"],
      additionalProperties: false,
    };
    const validate = new Ajv2020().compile(schema);
    for (const seed of [1, 2, 3]) {
      const request: ChatRequest = {
        ...user("Describe it as JSON", { maxTokens: 300, temperature: 0.8, seed }),
        responseFormat: { type: "json_schema", name: "thing", schema, strict: true },
      };
      const result = await collect(runner.chat(request, neverAborted));
      expect(result.error).toBeUndefined();
      // Validated output is emitted once, whole.
      expect(result.deltas).toHaveLength(1);
      const value: unknown = JSON.parse(result.text);
      expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
      expect(result.done?.finishReason).toBe("stop");
      expect(result.done?.timings?.generationMs).toBeGreaterThan(0);
    }
  });

  it("constrains json_object output to one whole JSON value, or says the token limit cut it", async () => {
    const request: ChatRequest = {
      ...user("JSON please", { maxTokens: 400, temperature: 0.8, seed: 1 }),
      responseFormat: { type: "json_object" },
    };
    const result = await collect(runner.chat(request, neverAborted));
    if (result.error !== undefined) expect((result.error as { code?: string }).code).toBe("invalid_model_output");
    else if (result.done?.finishReason === "stop") expect(() => JSON.parse(result.text) as unknown).not.toThrow();
    else expect(result.done?.finishReason).toBe("length");
    // Too few tokens for any whole value ("{}" is two): the reply is answered as it stood, marked "length".
    const cut = await collect(runner.chat({ ...request, sampling: { ...request.sampling, maxTokens: 1 } }, neverAborted));
    expect(cut.error).toBeUndefined();
    expect(cut.done?.finishReason).toBe("length");
    expect(cut.done?.usage.completionTokens).toBeLessThanOrEqual(1);
  });

  it("forces a call to a named tool, with valid JSON arguments and no text", async () => {
    const validate = new Ajv2020().compile(weatherParameters);
    const request: ChatRequest = {
      ...user("Weather in Paris?", { maxTokens: 200, temperature: 0.8, seed: 7 }),
      tools,
      toolChoice: { type: "function", name: "get_weather" },
    };
    const result = await collect(runner.chat(request, neverAborted));
    expect(result.error).toBeUndefined();
    expect(result.events.map((e) => e.type)).toEqual(["tool_calls", "done"]);
    const calls = (result.events[0] as Extract<ChatEvent, { type: "tool_calls" }>).calls;
    expect(calls).toHaveLength(1);
    expect(calls[0]!.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(calls[0]!.name).toBe("get_weather");
    const args: unknown = JSON.parse(calls[0]!.arguments);
    expect(validate(args), JSON.stringify(validate.errors)).toBe(true);
    expect(result.done?.finishReason).toBe("tool_calls");
    expect(result.done?.timings?.promptMs).toBeGreaterThan(0);

    const unknownTool: ChatRequest = { ...request, toolChoice: { type: "function", name: "nope" } };
    const unknown = await collect(runner.chat(unknownTool, neverAborted));
    expect(expectChaiboxError(unknown.error, "invalid_request").details.param).toBe("tool_choice");
  });

  it("forces a call to one of the tools with tool_choice required", async () => {
    const request: ChatRequest = {
      ...user("Do something", { maxTokens: 200 }),
      tools,
      toolChoice: { type: "required" },
    };
    const result = await collect(runner.chat(request, neverAborted));
    expect(result.error).toBeUndefined();
    const event = result.events[0] as Extract<ChatEvent, { type: "tool_calls" }>;
    expect(event.type).toBe("tool_calls");
    expect(["get_weather", "get_time"]).toContain(event.calls[0]!.name);
    const args: unknown = JSON.parse(event.calls[0]!.arguments);
    expect(typeof args).toBe("object");
    if (event.calls[0]!.name === "get_time") expect(args).toEqual({});
    expect(result.done?.finishReason).toBe("tool_calls");
  });

  it("continues after a tool result (a tool-call round trip)", async () => {
    const call = { id: "call_1", name: "get_weather", arguments: '{"city":"Paris","days":1,"unit":"c"}' };
    const base: ChatRequest["messages"] = [{ role: "user", content: "Weather in Paris?" }];
    const request: ChatRequest = {
      messages: [
        ...base,
        { role: "assistant", content: "", toolCalls: [call] },
        { role: "tool", toolCallId: "call_1", content: '{"temperature":21}' },
      ],
      tools,
      sampling: { temperature: 0, maxTokens: 8 },
    };
    const result = await collect(runner.chat(request, neverAborted));
    expect(result.error).toBeUndefined();
    expect(result.text).toHaveLength(8);
    expect(result.done?.finishReason).toBe("length");
    // The call and its result are part of the prompt.
    const without = await collect(runner.chat({ ...request, messages: base }, neverAborted));
    expect(result.done!.usage.promptTokens).toBeGreaterThan(without.done!.usage.promptTokens + 40);

    const orphanRequest: ChatRequest = {
      ...request,
      messages: [...base, { role: "tool", toolCallId: "nope", content: "1" }],
    };
    const orphan = await collect(runner.chat(orphanRequest, neverAborted));
    expect(expectChaiboxError(orphan.error, "invalid_request").details.param).toBe("messages[1]");
  });

  it("frees the sequence quickly on abort, then serves `parallel` chats", async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    const long = collect(runner.chat(user("Go on and on", { maxTokens: 1900 }), controller.signal), (event) => {
      if (event.type === "text" && abortedAt === 0) {
        abortedAt = performance.now();
        controller.abort();
      }
    });
    const aborted = await long;
    expect(aborted.error).toBeInstanceOf(Error);
    expect(aborted.done).toBeUndefined();
    // Both sequences are needed at once: the aborted chat's sequence must be back.
    const firstText: number[] = [];
    const both = await Promise.all(
      [0, 1].map((n) =>
        collect(runner.chat(user(`Next ${n}`, { maxTokens: 5 }), neverAborted), (event) => {
          if (event.type === "text") firstText[n] ??= performance.now();
        }),
      ),
    );
    for (const result of both) {
      expect(result.error).toBeUndefined();
      expect(result.text).toHaveLength(5);
    }
    // Measured ~12 ms on 2 cores: cancel, sequence freed, two prompts evaluated, first tokens sampled.
    const latency = Math.max(...firstText) - abortedAt;
    expect(latency).toBeLessThan(100);
  });

  it("rejects a prompt longer than the context with context_length_exceeded", async () => {
    const result = await collect(runner.chat(user("x ".repeat(1500), { maxTokens: 10 }), neverAborted));
    const error = expectChaiboxError(result.error, "context_length_exceeded");
    expect(error.details.contextSize).toBe(2048);
    expect(error.details.promptTokens).toBeGreaterThan(2048);
    expect(result.events).toEqual([]);
  });

  it("caps maxTokens to the room left in the context", async () => {
    const result = await collect(runner.chat(user("y".repeat(1900), { maxTokens: 1000 }), neverAborted));
    expect(result.done?.finishReason).toBe("length");
    const { promptTokens, completionTokens } = result.done!.usage;
    expect(promptTokens + completionTokens).toBe(2047);
  });

  // Last in this group: it stops the shared runner.
  it("stop() ends the process and leaves no socket file", async () => {
    const pid = runner.pid!;
    const started = performance.now();
    await runner.stop();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await runner.exited).toEqual({ code: 0, signal: null });
    expect(isRunning(pid)).toBe(false);
    expect(await socketFiles()).toEqual([]);
    const late = await collect(runner.chat(user("Hello?"), neverAborted));
    expect(late.error).toBeInstanceOf(ChaiboxError);
  });
});

describe("runner failures", () => {
  it("abandons a launch whose signal aborts: the runner is killed, nothing is left behind", async () => {
    const controller = new AbortController();
    const launching = launcher.launch("abandoned", loadOptions(), controller.signal);
    setTimeout(() => controller.abort(), 30);
    expectChaiboxError(await launching.catch((error: unknown) => error), "client_disconnected");
    expect(await socketFiles()).toEqual([]);
    expect(records.some((r) => r.message === "runner start failed" && r.fields.modelId === "abandoned")).toBe(true);
  });

  it("reports runner_crashed after the partial text when the runner is SIGKILLed mid-stream", async () => {
    const runner = await launcher.launch("victim", loadOptions({ parallel: 1 }));
    const pid = runner.pid!;
    let killed = false;
    const result = await collect(runner.chat(user("Long answer", { maxTokens: 1900 }), neverAborted), (event) => {
      if (event.type === "text" && !killed) {
        killed = true;
        process.kill(pid, "SIGKILL");
      }
    });
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.done).toBeUndefined();
    const error = expectChaiboxError(result.error, "runner_crashed");
    expect(error.message).toContain("SIGKILL");
    expect(await runner.exited).toEqual({ code: null, signal: "SIGKILL" });
    // A chat on the dead runner fails at once; stop() resolves.
    const late = await collect(runner.chat(user("Hello?"), neverAborted));
    expectChaiboxError(late.error, "runner_crashed");
    await runner.stop();
  });

  it("fails a load of a non-model file with model_load_failed", async () => {
    const path = join(runtimeDir, "not-a-model.gguf");
    await writeFile(path, "this is not a GGUF file\n".repeat(10));
    const failure = await launcher.launch("broken", loadOptions({ modelPath: path })).catch((error: unknown) => error);
    const error = expectChaiboxError(failure, "model_load_failed");
    expect(error.message).toMatch(/GGUF/);
    expect(await socketFiles()).toEqual([]);
  });

  it("exits when the API process dies, leaving no orphan", async () => {
    const launcherUrl = new URL("../../src/engine/native/client.ts", import.meta.url).href;
    const options = loadOptions({ contextSize: 256, parallel: 1 });
    const script = [
      `import { ChildProcessLauncher } from ${JSON.stringify(launcherUrl)};`,
      "const quiet = { debug() {}, info() {}, warn() {}, error() {} };",
      `const launcher = new ChildProcessLauncher({ runtimeDir: ${JSON.stringify(runtimeDir)}, logger: quiet });`,
      `const runner = await launcher.launch("orphan", ${JSON.stringify(options)});`,
      "console.log(JSON.stringify({ pid: runner.pid }));",
      "setInterval(() => {}, 1000);",
    ].join("\n");
    const parent = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const parentExit = new Promise((resolve) => parent.once("exit", resolve));
    const line = await new Promise<string>((resolve, reject) => {
      parent.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString()));
      parent.once("exit", (code) => reject(new Error(`parent exited early with ${code}`)));
    });
    const { pid } = JSON.parse(line) as { pid: number };
    expect(isRunning(pid)).toBe(true);
    parent.kill("SIGKILL");
    await parentExit;
    const deadline = performance.now() + 3_000;
    while (isRunning(pid) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(isRunning(pid)).toBe(false);
  });
});
