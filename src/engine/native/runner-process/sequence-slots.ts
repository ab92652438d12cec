/**
 * The prompt cache: a chat model's context sequences live as long as the model and keep the tokens they
 * have evaluated. A request takes the free sequence whose tokens share the longest prefix with its prompt
 * (llama.cpp server's slot selection), and node-llama-cpp's `LlamaChat`/`LlamaCompletion` then evaluate only
 * what differs: they align the sequence with the new tokens (`adaptStateToTokens` erases the cells after the
 * first different token) before they decode. A conversation that resends its system prompt, tools and
 * earlier turns (Home Assistant's pattern) pays only for its new turn.
 */
import type { LlamaContext, LlamaContextSequence, Token } from "node-llama-cpp";

/** One request's hold on a sequence: which one, and how many of its prompt tokens it reuses. */
export interface SequenceLease {
  /** Tokens of context per sequence. */
  readonly contextSize: number;
  /**
   * Waits for a free sequence and takes the one that shares the longest prefix with `tokens` (the prompt
   * as it will be evaluated). Rejects when `signal` aborts. A lease acquires once.
   */
  acquire(tokens: readonly Token[]): Promise<LlamaContextSequence>;
  /** Prompt tokens the acquired sequence already holds, so they are not evaluated again (0 before acquire). */
  readonly cachedTokens: number;
  /**
   * Hands the sequence back. `keepTokens: false` (after a failure or an abort) clears it, so that no state of
   * an interrupted evaluation is ever reused.
   */
  release(keepTokens: boolean): Promise<void>;
}

/**
 * Prompt tokens a sequence can reuse: the common prefix of what it holds and `tokens`, less at least one
 * token, because a generation needs the logits of the prompt's last token, so that one is always decoded.
 */
export function reusablePrefix(held: readonly Token[], tokens: readonly Token[]): number {
  const limit = Math.min(held.length, tokens.length - 1);
  let index = 0;
  while (index < limit && held[index] === tokens[index]) index++;
  return Math.max(0, index);
}

/**
 * The share of a prompt a sequence must already hold to be picked for it (default 0.5, llama.cpp server's
 * `slot_prompt_similarity`): below it, the request goes to the least recently used sequence instead, so a
 * short common opening (the chat template's first tokens) never overwrites another conversation's cache.
 */
export const MIN_PROMPT_SIMILARITY = 0.5;

/**
 * Picks the free sequence for `tokens`: the one with the longest reusable prefix when that prefix is at
 * least {@link MIN_PROMPT_SIMILARITY} of the prompt, else the one used least recently (an empty one first).
 * Exported for its unit test.
 */
export function pickSequence<S>(free: readonly S[], held: (s: S) => readonly Token[], lastUsed: (s: S) => number, tokens: readonly Token[]): S | undefined {
  let longest: S | undefined;
  let longestPrefix = -1;
  let oldest: S | undefined;
  for (const candidate of free) {
    const prefix = reusablePrefix(held(candidate), tokens);
    if (prefix > longestPrefix) {
      longest = candidate;
      longestPrefix = prefix;
    }
    if (oldest === undefined || lastUsed(candidate) < lastUsed(oldest)) oldest = candidate;
  }
  return longestPrefix > 0 && longestPrefix >= MIN_PROMPT_SIMILARITY * tokens.length ? longest : oldest;
}

/** Options of {@link SequenceSlots}. */
export interface SequenceSlotsOptions {
  /** Keep evaluated tokens between requests (default true); false clears every sequence on release. */
  promptCache?: boolean;
}

/**
 * The sequences of one chat context, created once and handed out per request. Not thread-safe in any sense
 * beyond Node's: acquire and release run on the runner's one event loop.
 */
export class SequenceSlots {
  private readonly free: LlamaContextSequence[] = [];
  private readonly lastUsed = new Map<LlamaContextSequence, number>();
  private readonly waiters: (() => void)[] = [];
  private uses = 0;
  private open = 0;
  private readonly promptCache: boolean;
  private readonly total: number;

  constructor(
    private readonly context: LlamaContext,
    options: SequenceSlotsOptions = {},
  ) {
    this.promptCache = options.promptCache ?? true;
    while (context.sequencesLeft > 0) {
      const sequence = context.getSequence();
      this.free.push(sequence);
      this.lastUsed.set(sequence, 0);
    }
    this.total = this.free.length;
  }

  /** Sequences held by requests now. */
  get leased(): number {
    return this.total - this.free.length;
  }

  /**
   * Requests that hold a sequence or will take a free one as soon as they have rendered their prompt: leases
   * handed out and not released, at most one per sequence (the others wait for a release).
   */
  get requests(): number {
    return Math.min(this.open, this.total);
  }

  /** A lease for one request; `signal` aborts its wait for a sequence. */
  lease(signal: AbortSignal): SequenceLease {
    let sequence: LlamaContextSequence | undefined;
    let cachedTokens = 0;
    let open = true;
    this.open++;
    return {
      contextSize: this.context.contextSize,
      get cachedTokens() {
        return cachedTokens;
      },
      acquire: async (tokens) => {
        if (sequence !== undefined) throw new Error("a sequence lease acquires once");
        // The check and the pick must run in one synchronous stretch: another request may take the
        // sequence between a wake-up and the code after it.
        while (this.free.length === 0) await this.nextRelease(signal);
        signal.throwIfAborted();
        const held = (s: LlamaContextSequence): readonly Token[] => (this.promptCache ? s.contextTokens : []);
        const picked = pickSequence(this.free, held, (s) => this.lastUsed.get(s) ?? 0, tokens)!;
        this.free.splice(this.free.indexOf(picked), 1);
        sequence = picked;
        cachedTokens = this.promptCache ? reusablePrefix(picked.contextTokens, tokens) : 0;
        return picked;
      },
      release: async (keepTokens) => {
        if (open) this.open--;
        open = false;
        const held = sequence;
        if (held === undefined) return;
        sequence = undefined;
        try {
          if (!keepTokens || !this.promptCache) await held.clearHistory();
        } finally {
          this.lastUsed.set(held, ++this.uses);
          this.free.push(held);
          this.waiters.shift()?.();
        }
      },
    };
  }

  /** Waits for the next release, or rejects when `signal` aborts. */
  private nextRelease(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiters.indexOf(wake);
        if (index !== -1) this.waiters.splice(index, 1);
        reject(signal.reason as Error);
      };
      const wake = (): void => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      this.waiters.push(wake);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
