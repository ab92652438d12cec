/**
 * The live-speed step: every real chat is timed from its event stream as it passes through, and each call
 * (chat, embed, preload) tells the background benchmarks that a user request runs, so they make way for
 * it. What the timings become (the model's moving average) is models/'s business, reached through a port.
 */
import type { ChatEvent, ChatRequest } from "../contract.js";
import type { CallContext, InferenceStage, InferenceStep } from "./types.js";

/** How one chat went, on one clock (ms). */
export interface ChatTiming {
  /** When the consumer asked for the first event (admission starts). */
  startMs: number;
  /** The first and last non-empty text delta. */
  firstTextMs: number | undefined;
  lastTextMs: number | undefined;
  /** The model was loaded with a free slot and no queue when the chat started: no wait in its first token. */
  ready: boolean;
  /** Prompt tokens the runner evaluated (those the prompt cache held took no time). */
  promptTokens: number;
  completionTokens: number;
  /** The generation ended in tool calls: its tokens did not all arrive as text. */
  toolCalls: boolean;
}

/** What the step needs to know and where its timings go. */
export interface ChatTimingPorts {
  /** Whether a chat for the model would start at once: loaded, a free slot, nobody queued. */
  isReady(modelId: string): boolean;
  /** Receives each chat's timing (never throws into the chat: errors are the receiver's to log). */
  timed(modelId: string, timing: ChatTiming): void;
  /** Called as a user request (chat, embed or preload) begins; the returned function when it has ended. Default none. */
  onRequest?(): () => void;
  /** Default `performance.now()`. */
  now?(): number;
}

/** `fn`, callable any number of times, running once. */
function once(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}

/** Times every chat and marks every call as user activity. */
export function liveSpeedStep(ports: ChatTimingPorts): InferenceStep {
  const begin = (): (() => void) => (ports.onRequest ? ports.onRequest() : () => undefined);
  const activity = async <T>(run: () => Promise<T>): Promise<T> => {
    const end = begin();
    try {
      return await run();
    } finally {
      end();
    }
  };
  return {
    name: "live speed",
    wrap: (next) => ({
      chat: (modelId, request, context) => timedChat(next, ports, begin, modelId, request, context),
      embed: (modelId, request, context) => activity(() => next.embed(modelId, request, context)),
      preload: (modelId, context) => activity(() => next.preload(modelId, context)),
    }),
  };
}

async function* timedChat(
  next: InferenceStage,
  ports: ChatTimingPorts,
  begin: () => () => void,
  modelId: string,
  request: ChatRequest,
  context: CallContext,
): AsyncGenerator<ChatEvent> {
  const now = (): number => (ports.now ? ports.now() : performance.now());
  const end = once(begin());
  try {
    const startMs = now();
    const ready = ports.isReady(modelId);
    let firstTextMs: number | undefined;
    let lastTextMs: number | undefined;
    let toolCalls = false;
    for await (const event of next.chat(modelId, request, context)) {
      if (event.type === "text" && event.text !== "") {
        lastTextMs = now();
        firstTextMs ??= lastTextMs;
      } else if (event.type === "tool_calls") toolCalls = true;
      else if (event.type === "done") {
        const { completionTokens } = event.usage;
        // Only what the runner evaluated took time: prompt tokens the prompt cache held cost nothing.
        const promptTokens = event.usage.promptTokens - (event.usage.cachedPromptTokens ?? 0);
        try {
          ports.timed(modelId, { startMs, firstTextMs, lastTextMs, ready, promptTokens, completionTokens, toolCalls });
        } catch {
          // Recording is best effort: a figure lost must never fail the chat it came from.
        }
        // Consumers may stop pulling once they have `done` (without return()), so the request ends here.
        end();
      }
      yield event;
    }
  } finally {
    end();
  }
}
