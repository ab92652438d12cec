/**
 * Tokens used per app token: the auth guard records which app token made the request in an
 * AsyncLocalStorage, and {@link withTokenUsage} adds each chat's and embedding's reported usage to it. The
 * inference service and the dialects know nothing of tokens.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { AdmissionOptions, ChatEvent, ChatRequest, EmbedRequest, InferenceService } from "../engine/contract.js";

/** The app token of the request being served; undefined for sessions, the local CLI and open APIs. */
export const requestToken = new AsyncLocalStorage<{ tokenId: string | undefined }>();

/** Where usage goes: the token store's `addUsage`. */
export type UsageSink = (tokenId: string, promptTokens: number, completionTokens: number) => void;

/**
 * `service` with each chat's and embedding's usage added to the requesting app token. A proxy, as
 * withLiveSpeed is, so every other method and property passes through unchanged.
 */
export function withTokenUsage<T extends InferenceService>(service: T, sink: UsageSink): T {
  const add = (promptTokens: number, completionTokens: number) => {
    const tokenId = requestToken.getStore()?.tokenId;
    if (tokenId === undefined) return;
    try {
      sink(tokenId, promptTokens, completionTokens);
    } catch {
      // Counting is best effort: it must never fail the request it counts.
    }
  };
  // The token also takes its turn in a busy model's queue (round robin between apps).
  const withOwner = (admission: AdmissionOptions | undefined): AdmissionOptions | undefined => {
    const tokenId = requestToken.getStore()?.tokenId;
    return tokenId === undefined ? admission : { ...admission, owner: tokenId };
  };
  async function* chat(modelId: string, request: ChatRequest, signal: AbortSignal, admission?: AdmissionOptions): AsyncGenerator<ChatEvent> {
    for await (const event of service.chat(modelId, request, signal, withOwner(admission))) {
      if (event.type === "done") add(event.usage.promptTokens, event.usage.completionTokens);
      yield event;
    }
  }
  async function embed(modelId: string, request: EmbedRequest, signal: AbortSignal, admission?: AdmissionOptions) {
    const result = await service.embed(modelId, request, signal, withOwner(admission));
    add(result.promptTokens, 0);
    return result;
  }
  return new Proxy(service, {
    get(target, property) {
      if (property === "chat") return chat;
      if (property === "embed") return embed;
      const value: unknown = Reflect.get(target, property, target);
      // Bound to the service itself: its methods use private state that a proxy receiver would not reach.
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
