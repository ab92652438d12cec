/**
 * Tool calling and reasoning from the chat wrapper node-llama-cpp resolves for a template (its JavaScript side
 * only; no model is loaded). The templates are real: Qwen3's as published, the same with its think handling
 * taken out (a Qwen template that calls tools but does not reason, as Qwen2.5's), and the ChatML template of
 * chaibox's generated models.
 */
import { readFileSync } from "node:fs";
import { resolveChatWrapper, type GgufFileInfo } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { wrapperTraits } from "../../src/engine/native/runner-process/traits.js";
import { LLAMA31_TEMPLATE, QWEN25_TEMPLATE } from "../../src/gguf/chat-templates.js";
import { CHATML_TEMPLATE } from "../../src/gguf/presets.js";
import { poolingName } from "../../src/engine/native/model-traits.js";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/chat-templates/${name}.jinja`, import.meta.url), "utf8");

function traitsOf(template: string, architecture = "qwen3") {
  const fileInfo = { metadata: { general: { architecture }, tokenizer: { chat_template: template } } } as unknown as GgufFileInfo;
  const wrapper = resolveChatWrapper({ fileInfo, warningLogs: false });
  if (!wrapper) throw new Error("no wrapper resolved");
  return wrapperTraits(wrapper, template);
}

describe("wrapper traits", () => {
  it("finds Qwen3's own tool-call syntax and its think segment", () => {
    expect(traitsOf(fixture("qwen3"))).toEqual({ chatWrapper: "Qwen", tools: true, reasoning: true });
  });

  it("does not claim reasoning for a template that never writes think markers, though the wrapper has a segment", () => {
    expect(traitsOf(fixture("qwen-tools"))).toEqual({ chatWrapper: "Qwen", tools: true, reasoning: false });
  });

  it("finds the tool syntax of the templates that generated test models can carry (Qwen2.5's, Llama 3.1's)", () => {
    expect(traitsOf(QWEN25_TEMPLATE, "qwen2")).toEqual({ chatWrapper: "Qwen", tools: true, reasoning: false });
    expect(traitsOf(LLAMA31_TEMPLATE, "llama")).toEqual({ chatWrapper: "Llama 3.1", tools: true, reasoning: false });
  });

  it("claims neither for ChatML, whose wrapper only knows node-llama-cpp's generic call syntax", () => {
    expect(traitsOf(CHATML_TEMPLATE, "llama")).toEqual({ chatWrapper: "ChatML", tools: false, reasoning: false });
  });
});

describe("poolingName", () => {
  it("names llama.cpp's pooling types and nothing else", () => {
    expect([0, 1, 2, 3, 4].map(poolingName)).toEqual(["none", "mean", "cls", "last", "rank"]);
    expect([undefined, -1, 7, "1"].map(poolingName)).toEqual([null, null, null, null]);
  });
});
