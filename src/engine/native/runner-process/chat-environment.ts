/** What a chat or a completion runs with: the loaded model and where its events go (chat.ts, completion.ts). */
import type { ChatWrapper, Llama, LlamaModel } from "node-llama-cpp";
import type { ChatEvent } from "../../contract.js";

/** What a chat needs from the loaded model. */
export interface ChatEnvironment {
  llama: Llama;
  model: LlamaModel;
  /** Resolved once per model: resolving it per chat renders the model's template repeatedly (~0.4 s). */
  chatWrapper: ChatWrapper;
}

/** Receives a chat's events in order. */
export type EmitEvent = (event: ChatEvent) => void;
