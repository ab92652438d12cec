/**
 * Unloading a busy model waits for its requests, but only for a bounded time: a caller (Ollama's
 * `keep_alive: 0`, deleting a model) is told what happened instead of hanging for as long as a generation
 * runs. The model stays marked for unloading either way, and its runner ends once its requests finish.
 */
import { ChaiboxError } from "../errors.js";

/** True once the runner ended within `waitMs`; false when it is still serving requests then. */
export async function unloadWithin(unload: Promise<void>, waitMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), waitMs);
  });
  try {
    return await Promise.race([unload.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a caller learns when the model was still busy after the wait. */
export function stillBusyMessage(modelId: string, waitMs: number): string {
  return `Model ${modelId} is still answering requests after ${Math.round(waitMs / 1000)} s: it unloads as soon as they finish.`;
}

/** The error of an unload request (Ollama's keep_alive 0) that found the model busy. */
export function modelBusyError(modelId: string, waitMs: number): ChaiboxError {
  return new ChaiboxError("model_busy", stillBusyMessage(modelId, waitMs), { retryAfterSeconds: 5 });
}
