/**
 * Runs one admitted request on its runner — a chat streamed, an embedding as one call — and guarantees the
 * slot is given back, however it ends.
 */
import type { ChatEvent, ChatRequest } from "./contract.js";
import type { Lease } from "./model-entry.js";
import { shuttingDownError } from "./model-entry.js";
import type { SchedulerLogger } from "./scheduler-types.js";
import { ChaiboxError } from "../errors.js";

/** What the scheduler does at the edges of a granted request. */
export interface LeaseHooks {
  /** Maps an error from the runner to the one the consumer sees (e.g. `shutting_down` after a cut-off). */
  translate(error: unknown): unknown;
  /** Gives the slot back; called exactly once. `finished` is true when `done` was seen. */
  release(finished: boolean): void;
  log: SchedulerLogger;
}

/**
 * Runs `request` on the lease's runner. The consumer's `signal` is forwarded to the runner chat; a consumer
 * that stops early (break/return) aborts it too, and every path ends in `hooks.release`.
 */
export async function* streamLease(
  lease: Lease,
  request: ChatRequest,
  signal: AbortSignal,
  hooks: LeaseHooks,
): AsyncGenerator<ChatEvent> {
  const forward = (): void => lease.controller.abort(signal.reason);
  signal.addEventListener("abort", forward, { once: true });
  let finished = false;
  let iterator: AsyncIterator<ChatEvent> | undefined;
  let ended = false;
  const end = async (): Promise<void> => {
    if (ended) return;
    ended = true;
    signal.removeEventListener("abort", forward);
    const open = iterator;
    iterator = undefined;
    try {
      // A consumer that stopped early: abort first so the client sends cancel, then close its iterator.
      if (!finished) lease.controller.abort();
      await open?.return?.();
    } catch (error) {
      hooks.log.warn({ modelId: lease.entry.modelId, err: error }, "closing a runner chat failed");
    } finally {
      hooks.release(finished);
    }
  };
  try {
    signal.throwIfAborted();
    iterator = lease.client.chat(request, lease.controller.signal)[Symbol.asyncIterator]();
    for (;;) {
      const step = await iterator.next().catch((error: unknown) => {
        iterator = undefined; // it threw, so it has ended: nothing to close
        throw error;
      });
      if (step.done) break;
      if (step.value.type === "done") {
        finished = true;
        // `done` is the last event and consumers may stop pulling once they have it (without return()),
        // so the slot is given back before it is handed over.
        await end();
        yield step.value;
        return;
      }
      yield step.value;
    }
    iterator = undefined;
    // The contract ends every stream with `done` or a throw; a cancelled runner may just stop.
    signal.throwIfAborted();
    if (lease.controller.signal.aborted) throw shuttingDownError();
    throw new ChaiboxError("internal_error", "The runner ended the generation without finishing it.");
  } catch (error) {
    throw hooks.translate(error);
  } finally {
    await end();
  }
}

/**
 * Runs one request-response call (an embedding) on the lease's runner. The consumer's `signal` is forwarded
 * to the call's signal, and every path ends in `hooks.release` — `finished` when the call returned.
 */
export async function callLease<T>(
  lease: Lease,
  signal: AbortSignal,
  hooks: LeaseHooks,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const forward = (): void => lease.controller.abort(signal.reason);
  signal.addEventListener("abort", forward, { once: true });
  let finished = false;
  try {
    signal.throwIfAborted();
    const result = await call(lease.controller.signal);
    finished = true;
    return result;
  } catch (error) {
    throw hooks.translate(error);
  } finally {
    signal.removeEventListener("abort", forward);
    hooks.release(finished);
  }
}
