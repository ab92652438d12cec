/**
 * Reads what a model file can do ({@link ModelTraits}): the pooling type from its GGUF metadata, and tool
 * calling and reasoning from the chat wrapper node-llama-cpp resolves for it. The model is loaded with its
 * vocabulary only (no weights, a fraction of a second), so the wrapper is resolved exactly as the runner
 * resolves it (`resolveChatWrapper(model)`, which also weighs the tokenizer), not approximated.
 */
import { ChatWrapper, isLlamaText, JinjaTemplateChatWrapper, LlamaText, resolveChatWrapper, type Llama, type LlamaModel, type Token } from "node-llama-cpp";
import { poolingName, type ModelTraits } from "../model-traits.js";
import { modelKindOf } from "../../model-kind.js";

/** The chat-related traits of a resolved wrapper, given the file's chat template (if any). */
export function wrapperTraits(wrapper: ChatWrapper, template: string | undefined): Pick<ModelTraits, "chatWrapper" | "tools" | "reasoning"> {
  // A wrapper that keeps node-llama-cpp's default function settings documents functions in the generic
  // `||call:` syntax; only a wrapper with its own settings (or a Jinja template it extracted them from)
  // speaks a syntax the model was trained on.
  const tools =
    wrapper instanceof JinjaTemplateChatWrapper
      ? wrapper.usingJinjaFunctionCallTemplate
      : wrapper.settings.functions !== ChatWrapper.defaultSettings.functions;
  const thought = wrapper.settings.segments?.thought;
  let reasoning = thought !== undefined;
  if (thought !== undefined && template !== undefined && !(wrapper instanceof JinjaTemplateChatWrapper)) {
    // Some specialized wrappers always declare a thought segment (node-llama-cpp's Qwen wrapper serves Qwen2.5
    // and Qwen3 alike), so the template must write the segment's markers for the model to reason.
    const markers = [thought.prefix, thought.suffix].map((part) => (typeof part === "string" || isLlamaText(part) ? LlamaText(part).toString().trim() : ""));
    reasoning = markers.some((marker) => marker !== "" && template.includes(marker));
  }
  return { chatWrapper: wrapper.wrapperName, tools, reasoning };
}

/** Reads the traits of the model file at `path` with a loaded `llama` binding (the CPU one suffices). */
export async function readModelTraits(llama: Llama, path: string): Promise<ModelTraits> {
  const model = await llama.loadModel({ modelPath: path, vocabOnly: true });
  try {
    const { fileInfo } = model;
    const architecture = String(fileInfo.metadata.general.architecture);
    const { pooling_type: poolingType } = fileInfo.architectureMetadata as { pooling_type?: number };
    const template = fileInfo.metadata.tokenizer?.chat_template;
    const chatTemplate = typeof template === "string" && template.trim() !== "";
    const wrapper = resolveChatWrapper(model, { warningLogs: false });
    return {
      architecture,
      pooling: poolingName(poolingType),
      embeddings: modelKindOf(poolingType) === "embedding",
      chatTemplate,
      ...wrapperTraits(wrapper, chatTemplate ? template : undefined),
      endTokens: endTokens(model),
    };
  } finally {
    await model.dispose();
  }
}

/**
 * Every token llama.cpp ends a generation on (EOS, EOT, ChatML's `<|im_end|>`…) and every special token
 * (LlamaChat stops on those too), as test/bench's baseline finds them.
 */
function endTokens(model: LlamaModel): number[] {
  const metadata = model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: readonly unknown[] } } };
  const size = metadata.tokenizer?.ggml?.tokens?.length ?? 0;
  const ids = new Set<number>();
  for (let token = 0; token < size; token++) {
    if (model.isEogToken(token as Token) || model.isSpecialToken(token as Token)) ids.add(token);
  }
  for (const token of [model.tokens.eos, model.tokens.eot]) if (token !== null) ids.add(token);
  return [...ids].sort((a, b) => a - b);
}
