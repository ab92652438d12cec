import { describe, expect, it } from "vitest";
import {
  LineSplitter,
  ProtocolError,
  decodeApiMessage,
  decodeEmbedResult,
  decodeRunnerMessage,
  encodeEmbedResult,
  encodeMessage,
  type ApiToRunnerMessage,
  type EncodedEmbedResult,
  type RunnerToApiMessage,
} from "../../src/engine/native/runner-process/protocol.js";

describe("runner protocol framing", () => {
  it("encodes one message per line, escaping newlines inside strings", () => {
    const message: ApiToRunnerMessage = {
      type: "chat",
      id: "r1",
      request: { messages: [{ role: "user", content: "line one\nline two" }], sampling: {} },
    };
    const line = encodeMessage(message);
    expect(line.endsWith("\n")).toBe(true);
    expect(line.indexOf("\n")).toBe(line.length - 1);
    expect(decodeApiMessage(line.slice(0, -1))).toEqual(message);
  });

  it("splits lines across arbitrary chunk boundaries", () => {
    const splitter = new LineSplitter();
    const text = encodeMessage({ type: "cancel", id: "a" }) + encodeMessage({ type: "shutdown" });
    const bytes = Buffer.from(text);
    const lines: string[] = [];
    for (let i = 0; i < bytes.length; i += 3) lines.push(...splitter.push(bytes.subarray(i, i + 3)));
    expect(lines.map((l) => decodeApiMessage(l))).toEqual([{ type: "cancel", id: "a" }, { type: "shutdown" }]);
    expect(splitter.end()).toEqual([]);
  });

  it("keeps multi-byte UTF-8 characters intact when a chunk ends inside one", () => {
    const text = "héllo — 日本語 🙂";
    const event: RunnerToApiMessage = { type: "event", id: "x", event: { type: "text", text } };
    const bytes = Buffer.from(encodeMessage(event));
    // Every possible split point, including inside the 2-, 3- and 4-byte sequences.
    for (let cut = 1; cut < bytes.length; cut++) {
      const splitter = new LineSplitter();
      const lines = [...splitter.push(bytes.subarray(0, cut)), ...splitter.push(bytes.subarray(cut))];
      expect(lines).toHaveLength(1);
      expect(decodeRunnerMessage(lines[0]!)).toEqual(event);
    }
  });

  it("returns several lines from one chunk and a trailing line on end()", () => {
    const splitter = new LineSplitter();
    expect(splitter.push('{"type":"shutdown"}\n{"type":"shutdown"}\r\n{"type"')).toEqual([
      '{"type":"shutdown"}',
      '{"type":"shutdown"}',
    ]);
    expect(splitter.push(':"shutdown"}')).toEqual([]);
    expect(splitter.end()).toEqual(['{"type":"shutdown"}']);
  });

  it("does not keep a reference to the caller's buffer", () => {
    const splitter = new LineSplitter();
    const chunk = Buffer.from('{"type":');
    splitter.push(chunk);
    chunk.fill(0x20);
    expect(splitter.push('"shutdown"}\n')).toEqual(['{"type":"shutdown"}']);
  });

  it("rejects a line longer than the limit", () => {
    const splitter = new LineSplitter(16);
    expect(() => splitter.push("x".repeat(10))).not.toThrow();
    expect(() => splitter.push("y".repeat(10))).toThrow(ProtocolError);
    expect(() => new LineSplitter(4).push("12345\n")).toThrow(/longer than 4 bytes/);
  });
});

describe("runner protocol decoding", () => {
  it("accepts each direction's own messages only", () => {
    const hello = { type: "hello", pid: 1, protocol: 1 };
    expect(decodeRunnerMessage(JSON.stringify(hello))).toEqual(hello);
    expect(() => decodeApiMessage('{"type":"hello","pid":1,"protocol":1}')).toThrow(ProtocolError);
    expect(() => decodeRunnerMessage('{"type":"shutdown"}')).toThrow(ProtocolError);
  });

  it("rejects malformed lines", () => {
    expect(() => decodeApiMessage("not json")).toThrow(ProtocolError);
    expect(() => decodeApiMessage("[1,2]")).toThrow(ProtocolError);
    expect(() => decodeApiMessage('{"type":"cancel"}')).toThrow(/id/);
    expect(() => decodeApiMessage('{"type":"chat","id":"1"}')).toThrow(/request/);
    expect(() => decodeRunnerMessage('{"type":"error","id":"1","error":null}')).toThrow(/error/);
  });

  it("round-trips every message type", () => {
    const messages: (ApiToRunnerMessage | RunnerToApiMessage)[] = [
      {
        type: "load",
        modelId: "m",
        options: { modelPath: "/m.gguf", contextSize: 512, parallel: 2, threads: 1, gpuLayers: 0 },
      },
      {
        type: "loaded",
        info: {
          kind: "chat",
          embeddingLength: 64,
          contextSize: 1024,
          sequenceContextSize: 512,
          trainContextSize: 2048,
          parallel: 2,
          threads: 1,
          gpuLayers: 0,
          gpu: false,
        },
      },
      { type: "embed", id: "e1", request: { inputs: ["a text", [1, 2, 3]], dimensions: 128, truncate: true } },
      { type: "chat", id: "c2", request: { messages: [], rawPrompt: "<|im_start|>", think: false, sampling: { topK: 0, repeatPenalty: 1 } } },
      { type: "event", id: "c2", event: { type: "reasoning", text: "hmm" } },
      { type: "embedded", id: "e1", result: { vectors: ["AACAPwAAAMA="], promptTokens: 4 } },
      { type: "load_failed", error: { code: "model_load_failed", message: "bad file" } },
      { type: "event", id: "c1", event: { type: "tool_calls", calls: [{ id: "call_1", name: "f", arguments: "{}" }] } },
      {
        type: "event",
        id: "c1",
        event: { type: "done", finishReason: "stop", usage: { promptTokens: 3, completionTokens: 4 } },
      },
      {
        type: "event",
        id: "c2",
        event: { type: "done", finishReason: "length", usage: { promptTokens: 3, completionTokens: 4 }, timings: { promptMs: 1.25, generationMs: 0 } },
      },
      {
        type: "error",
        id: "c1",
        error: { code: "context_length_exceeded", message: "too long", details: { promptTokens: 9 } },
      },
    ];
    for (const message of messages) {
      const line = encodeMessage(message).trimEnd();
      const toRunner = message.type === "load" || message.type === "embed" || message.type === "chat";
      const decoded = toRunner ? decodeApiMessage(line) : decodeRunnerMessage(line);
      expect(decoded).toEqual(message);
    }
  });
});

describe("runner protocol embeddings", () => {
  it("requires a request on embed and a result on embedded", () => {
    expect(() => decodeApiMessage('{"type":"embed","id":"1"}')).toThrow(/request/);
    expect(() => decodeApiMessage('{"type":"embed","request":{"inputs":["a"]}}')).toThrow(/id/);
    expect(() => decodeRunnerMessage('{"type":"embedded","id":"1"}')).toThrow(/result/);
    expect(() => decodeApiMessage('{"type":"embedded","id":"1","result":{}}')).toThrow(ProtocolError);
  });

  it("carries vectors as float32 bits, exactly", () => {
    const embeddings = [[Math.fround(0.1), Math.fround(-1 / 3), 0, Math.fround(1e-30)], [1, -1]];
    const encoded = encodeEmbedResult({ embeddings, promptTokens: 7 });
    expect(encoded.vectors).toHaveLength(2);
    // 1.0 and -1.0 as little-endian float32: 00 00 80 3f, 00 00 80 bf.
    expect(encoded.vectors[1]).toBe(Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0x80, 0xbf]).toString("base64"));
    const line = encodeMessage({ type: "embedded", id: "e", result: encoded }).trimEnd();
    const decoded = decodeRunnerMessage(line);
    expect(decoded.type).toBe("embedded");
    if (decoded.type !== "embedded") return;
    expect(decodeEmbedResult(decoded.result)).toEqual({ embeddings, promptTokens: 7 });
  });

  it("rejects a malformed embedded result", () => {
    expect(() => decodeEmbedResult({ vectors: [1], promptTokens: 1 } as unknown as EncodedEmbedResult)).toThrow(ProtocolError);
    expect(() => decodeEmbedResult({ vectors: [] } as unknown as EncodedEmbedResult)).toThrow(ProtocolError);
  });
});
