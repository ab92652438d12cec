/**
 * How a chat context's parallel streams share its batches: all of them in one batch per token, as llama.cpp's
 * server decodes all its busy slots in one batch per step, and a request that must first erase part of its
 * sequence gets in between two batches instead of waiting for every other stream to finish.
 *
 * node-llama-cpp decodes whatever sequences have queued a token, samples each, hands each its token, and
 * forms the next batch as soon as the last sample is in, all in one loop that holds the context's lock for
 * as long as anything is queued. Two things followed:
 * - A stream's way from its sampled token back to queueing the next one (through node-llama-cpp's
 *   generators and LlamaChat) takes more promise steps than the loop's way to the next batch, so the stream
 *   sampled last always missed it: four streams were decoded as batches of three, one stream a batch behind
 *   in turn, and a batch of three costs nearly what a batch of four does.
 * - Erasing a sequence's tokens takes the same lock. Every new request erases what its sequence holds
 *   beyond the prompt prefix it shares (the prompt cache), so while two streams generated, a third request
 *   waited until both had finished: the loop never ran dry.
 *
 * Both are settled in node-llama-cpp's after-batch step of a sequence (`_takeIntervalCheckpointIfNeededAfterBatch`,
 * which the loop awaits before it forms the next batch): while more than one sequence is leased, the step
 * waits for a turn of the event loop (a few, until every leased sequence has queued), and when an erase is
 * waiting for the lock, it sets the queued decodes aside for a moment, so the loop ends, the lock goes to the
 * eraser (the lock serves in order), and a new loop takes the decodes back after it. One stream alone never
 * waits.
 *
 * The queue of decodes is also kept in the order of sequence ids, as llama.cpp's server adds its slots. Each
 * sequence has its own KV cache stream, and llama.cpp splits a batch over several streams into micro-batches
 * of consecutive, increasing sequence ids: four streams queued as 2, 0, 3, 1 were decoded as three passes
 * over the weights instead of one. Measured in docs/performance.md.
 *
 * And requests that reach the runner together start together: the context's dispatch schedule holds a
 * prompt for a few milliseconds while other requests are still preparing theirs ({@link gatheringSchedule}),
 * as llama.cpp's server takes every request that has arrived into its next batch.
 *
 * These are internals of node-llama-cpp (pinned in package.json); if a version lacks them,
 * {@link installBatchAlignment} says so and streams run as node-llama-cpp schedules them.
 */
import type { LlamaContext, LlamaContextSequence } from "node-llama-cpp";
import { LlamaContextSequence as SequenceClass } from "node-llama-cpp";

/** How many decodes the aligned batches of a context held, for the tests and the log. */
export interface AlignmentStats {
  /** Batches decoded while more than one sequence was leased. */
  batches: number;
  /** Sequences' decodes in those batches: `decodes / batches` is the streams per batch. */
  decodes: number;
  /** Times the decodes were set aside so that an erase could take the lock between two batches. */
  yields: number;
  /** Prompts that waited for other requests' prompts, to start in one batch with them. */
  gathered: number;
}

/** Turns of the event loop a batch waits at most for the leased sequences to queue. */
const MAX_TURNS = 4;

/**
 * How long a prompt waits at most for the prompts of requests that reached the runner with it and are still
 * being prepared (template, tokens, prefix), so that they are evaluated in one batch.
 */
export const GATHER_MS = 20;

/** A decode in node-llama-cpp's queue: the alignment reads whose it is and how many tokens it holds. */
interface QueuedDecode {
  sequenceId: number;
  tokens: readonly number[];
}

/** The parts of node-llama-cpp's context the alignment reads, orders and sets aside (internal there). */
interface ContextInternals {
  _queuedDecodes: QueuedDecode[];
  _queuedDecodeSequenceIds: Set<number>;
  dispatchPendingBatch(): void;
}

interface Alignment extends AlignmentStats {
  /** How many of the context's sequences are leased now. */
  readonly leased: () => number;
  /** Requests that hold a lease (acquired or about to be): each will queue a prompt. */
  readonly requests: () => number;
  /** Erases waiting for (or holding) the context's lock. */
  erasing: number;
  /** The wait of the current batch's sequences, shared by all of them; cleared a turn after it ends. */
  turn: Promise<void> | undefined;
}

const alignments = new WeakMap<LlamaContext, Alignment>();
let installed: boolean | undefined;

type AfterBatch = (this: LlamaContextSequence, sequenceStateLength: number) => Promise<void> | void;
type Erase = (this: LlamaContextSequence, ...args: unknown[]) => Promise<void>;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Patches node-llama-cpp's sequence class once; sequences created afterwards take part. Returns false when
 * the installed node-llama-cpp lacks the methods it hooks (then nothing changes).
 */
export function installBatchAlignment(): boolean {
  if (installed !== undefined) return installed;
  const prototype = SequenceClass.prototype as unknown as { _takeIntervalCheckpointIfNeededAfterBatch?: AfterBatch; _eraseContextTokenRanges?: Erase };
  const afterBatch = prototype._takeIntervalCheckpointIfNeededAfterBatch;
  const erase = prototype._eraseContextTokenRanges;
  if (typeof afterBatch !== "function" || typeof erase !== "function") return (installed = false);

  prototype._eraseContextTokenRanges = async function (this: LlamaContextSequence, ...args: unknown[]) {
    const alignment = alignments.get(this.context);
    if (alignment === undefined) return erase.apply(this, args);
    alignment.erasing++;
    try {
      return await erase.apply(this, args);
    } finally {
      alignment.erasing--;
    }
  };

  prototype._takeIntervalCheckpointIfNeededAfterBatch = function (this: LlamaContextSequence, sequenceStateLength: number) {
    const result = afterBatch.call(this, sequenceStateLength);
    // A checkpoint being taken already makes the loop wait.
    if (result !== undefined) return result;
    const alignment = alignments.get(this.context);
    if (alignment === undefined || alignment.leased() < 2) return undefined;
    alignment.decodes++;
    if (alignment.turn === undefined) {
      alignment.batches++;
      alignment.turn = betweenBatches(alignment, this.context as unknown as ContextInternals);
    }
    return alignment.turn;
  };
  return (installed = true);
}

/** What happens between two batches of an aligned context (see the module comment). */
async function betweenBatches(alignment: Alignment, context: ContextInternals): Promise<void> {
  for (let turn = 0; turn < MAX_TURNS; turn++) {
    await nextTurn();
    if (context._queuedDecodeSequenceIds.size >= alignment.leased()) break;
  }
  // The batch's other sequences are handed the settled wait (no second one); the next batch, which starts
  // after a decode on the thread pool, gets a new one.
  setImmediate(() => (alignment.turn = undefined));
  if (alignment.erasing === 0 || context._queuedDecodes.length === 0) return;
  // The loop checks its queue right after this step: empty, it ends and releases the lock to the erase
  // waiting for it. The decodes go back (in sequence order, among anything queued meanwhile), and a new
  // loop, which queues for the lock behind the erase, takes them.
  alignment.yields++;
  const aside = context._queuedDecodes.splice(0);
  setImmediate(() => {
    context._queuedDecodes.push(...aside);
    context.dispatchPendingBatch();
  });
}

/**
 * Makes `push` on the context's queue insert each decode after those of lower or equal sequence ids, so the
 * queue, which is all the loop forms its batches from, is always in sequence order (node-llama-cpp only
 * pushes to it and splices from it).
 */
function keepInSequenceOrder(queue: QueuedDecode[]): void {
  queue.push = (...items: QueuedDecode[]): number => {
    for (const item of items) {
      let at = queue.length;
      while (at > 0 && queue[at - 1]!.sequenceId > item.sequenceId) at--;
      queue.splice(at, 0, item);
    }
    return queue.length;
  };
}

/**
 * Aligns the batches of `context` while `leased()` says more than one of its sequences is leased.
 * Needs {@link installBatchAlignment} before the context's sequences are created.
 */
export function alignBatches(context: LlamaContext, leased: () => number, requests: () => number): void {
  keepInSequenceOrder((context as unknown as ContextInternals)._queuedDecodes);
  alignments.set(context, { leased, requests, erasing: 0, turn: undefined, batches: 0, decodes: 0, yields: 0, gathered: 0 });
}

/**
 * node-llama-cpp's batch dispatch schedule for a chat context (`batching.dispatchSchedule`): its own
 * ("nextCycle": the next turn of the event loop), except that a prompt waits up to {@link GATHER_MS} while
 * other requests in the runner have yet to queue theirs. Requests that arrive together (an app that asks
 * several questions at once, a benchmark's streams) thus start in one batch: each prompt decoded alone would
 * hold the context for its whole evaluation while the others wait, and their first tokens would come a
 * prompt's time apart. A request alone never waits, nor does a token of a running generation.
 */
export function gatheringSchedule(context: () => LlamaContext | undefined): (dispatch: () => void) => void {
  return (dispatch) => {
    const current = context();
    const alignment = current === undefined ? undefined : alignments.get(current);
    if (alignment === undefined) {
      setImmediate(dispatch);
      return;
    }
    const internals = current as unknown as ContextInternals;
    const deadline = performance.now() + GATHER_MS;
    let waited = false;
    const hasPrompt = (): boolean => internals._queuedDecodes.some((decode) => decode.tokens.length > 1);
    const attempt = (): void => {
      if (hasPrompt() && internals._queuedDecodeSequenceIds.size < alignment.requests() && performance.now() < deadline) {
        waited = true;
        setTimeout(attempt, 1);
        return;
      }
      if (waited) alignment.gathered++;
      dispatch();
    };
    // A prompt is queued at the end of its request's preparation, which runs in one stretch without reading
    // the runner's socket: requests that reached it meanwhile are still unread. One more turn of the event
    // loop reads them, so they hold their leases when the prompt looks for requests to wait for.
    setImmediate(() => (hasPrompt() ? setImmediate(attempt) : attempt()));
  };
}

/** What the aligned batches of `context` held so far (zeros when it is not aligned). */
export function alignmentStats(context: LlamaContext): AlignmentStats {
  const alignment = alignments.get(context);
  return { batches: alignment?.batches ?? 0, decodes: alignment?.decodes ?? 0, yields: alignment?.yields ?? 0, gathered: alignment?.gathered ?? 0 };
}
