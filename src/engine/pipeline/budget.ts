/**
 * The budget step: what each chat and embedding costs is recorded against the caller's app token, the
 * model's provider and the month, and an app whose monthly budget cannot cover a priced request is refused
 * before it runs (`budget_exceeded`, 402, with the figures). Local models cost nothing and always run. The
 * prices, the providers and the ledger live above engine/ and come in as ports the wiring fills.
 */
import { ChaiboxError } from "../../errors.js";
import type { ChatEvent, ChatRequest, EmbedRequest } from "../contract.js";
import type { CallContext, InferenceStep } from "./types.js";

/** What a model costs, per million tokens, in `currency` (chaibox's prices are USD). */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
  currency: string;
}

/** Where an app token stands against its monthly budget. Amounts in USD. */
export interface BudgetStanding {
  /** The calendar month (UTC) the figures are for, `YYYY-MM`. */
  month: string;
  /** The monthly budget; null when the app has none (no limit). */
  budgetUsd: number | null;
  /** Spent this month, on every provider. */
  spentUsd: number;
  /** `budgetUsd - spentUsd`, never below 0; null without a budget. */
  remainingUsd: number | null;
}

/** One call's usage and cost, as the ledger records it. */
export interface UsageRecord {
  /** The caller's app token; '' for calls without one (the owner's session, the CLI, open APIs). */
  tokenId: string;
  /** The model's provider; '' for this box's own models. */
  provider: string;
  promptTokens: number;
  completionTokens: number;
  /** Cost in micro-USD: tokens × price per million is exactly micro-dollars. */
  costMicros: number;
}

/** What the budget step needs from the layers above engine/; the wiring fills them. */
export interface BudgetPorts {
  /** The model's prices; undefined when unknown (taken as free). */
  price(modelId: string): Promise<ModelPrice | undefined>;
  /** The provider id of a model id; '' for this box's own models. */
  provider(modelId: string): string;
  /** Adds one call to the ledger. Must not throw (the step guards it anyway). */
  record(usage: UsageRecord): void;
  /** Where an app token stands this month, spending up to the last recorded call included. */
  standing(tokenId: string): BudgetStanding;
}

/**
 * Characters per token assumed for the minimum cost of a prompt. A token of prose rarely spans more than six
 * characters, so the estimate stays below the real count: a request is refused only when even that little
 * cannot be paid, never because the guess was high.
 */
export const CHARS_PER_TOKEN_AT_MOST = 6;

/** Prompt tokens a chat uses at least, from its characters. Pure. */
export function minimumChatTokens(request: ChatRequest): number {
  let characters = request.rawPrompt?.length ?? 0;
  for (const message of request.messages) characters += message.content.length;
  if (request.tools && request.tools.length > 0) characters += JSON.stringify(request.tools).length;
  return Math.ceil(characters / CHARS_PER_TOKEN_AT_MOST);
}

/** Prompt tokens an embedding uses at least: token-id inputs count exactly, texts from their characters. Pure. */
export function minimumEmbedTokens(request: EmbedRequest): number {
  let tokens = 0;
  for (const input of request.inputs) tokens += typeof input === "string" ? Math.ceil(input.length / CHARS_PER_TOKEN_AT_MOST) : input.length;
  return tokens;
}

/** Micro-USD of `promptTokens` and `completionTokens` at `price`. Pure. */
export function costMicros(price: ModelPrice | undefined, promptTokens: number, completionTokens: number): number {
  return price === undefined ? 0 : promptTokens * price.inputPerMillion + completionTokens * price.outputPerMillion;
}

const isPriced = (price: ModelPrice | undefined): price is ModelPrice => price !== undefined && (price.inputPerMillion > 0 || price.outputPerMillion > 0);

/** Dollars for a message and the error's figures: cents stay readable, fractions of a cent are not lost. */
export const usd = (amount: number): number => Math.round(amount * 1e6) / 1e6;

/** The `budget_exceeded` error with its figures (details.budget, snake_case as on the wire). */
export function budgetExceeded(modelId: string, standing: BudgetStanding & { budgetUsd: number; remainingUsd: number }, estimatedMicros: number, currency: string): ChaiboxError {
  const estimate = usd(estimatedMicros / 1e6);
  const message =
    `This app's monthly budget of ${standing.budgetUsd} USD for ${standing.month} cannot cover this request to '${modelId}': ` +
    `${usd(standing.spentUsd)} USD spent, ${usd(standing.remainingUsd)} USD left, and its prompt alone costs at least ${estimate} USD. ` +
    "Use a free (local) model, or ask the box's owner to raise the budget on the Apps screen.";
  return new ChaiboxError("budget_exceeded", message, {
    budget: {
      month: standing.month,
      budget_usd: standing.budgetUsd,
      spent_usd: usd(standing.spentUsd),
      remaining_usd: usd(standing.remainingUsd),
      estimated_cost_usd: estimate,
      currency,
    },
  });
}

/**
 * The price of a call, refusing it when the caller's budget cannot cover `minimumTokens` of prompt. The price
 * is awaited before the call only for an app with a budget; for the others it is looked up while the call
 * runs, so a request without a limit never waits for the price list.
 */
async function admit(ports: BudgetPorts, modelId: string, context: CallContext, minimumTokens: number, price: Promise<ModelPrice | undefined>): Promise<void> {
  const tokenId = context.caller.tokenId;
  if (tokenId === undefined) return;
  const standing = ports.standing(tokenId);
  if (standing.budgetUsd === null || standing.remainingUsd === null) return;
  const known = await price;
  if (!isPriced(known)) return;
  const estimate = costMicros(known, minimumTokens, 0);
  const remainingMicros = standing.remainingUsd * 1e6;
  if (remainingMicros <= 0 || estimate > remainingMicros) {
    throw budgetExceeded(modelId, { ...standing, budgetUsd: standing.budgetUsd, remainingUsd: standing.remainingUsd }, estimate, known.currency);
  }
}

/** Looks the price up once per call; a failing lookup counts as free, since recording never fails a request. */
const priceOf = (ports: BudgetPorts, modelId: string): Promise<ModelPrice | undefined> => ports.price(modelId).catch(() => undefined);

/** Records the call against its caller, provider and month; never throws. */
function record(ports: BudgetPorts, modelId: string, context: CallContext, price: ModelPrice | undefined, promptTokens: number, completionTokens: number): void {
  try {
    ports.record({ tokenId: context.caller.tokenId ?? "", provider: ports.provider(modelId), promptTokens, completionTokens, costMicros: costMicros(price, promptTokens, completionTokens) });
  } catch {
    // Bookkeeping is best effort: it must never fail the request it counts.
  }
}

async function* budgeted(events: () => AsyncIterable<ChatEvent>, ports: BudgetPorts, modelId: string, request: ChatRequest, context: CallContext): AsyncGenerator<ChatEvent> {
  const minimum = minimumChatTokens(request);
  const price = priceOf(ports, modelId);
  await admit(ports, modelId, context, minimum, price);
  let generated = 0;
  let recorded = false;
  try {
    for await (const event of events()) {
      if (event.type === "text" || event.type === "reasoning" || event.type === "tool_calls") generated++;
      if (event.type === "done") {
        // Recorded before the reply ends, so the app's next request already sees what this one cost.
        record(ports, modelId, context, await price, event.usage.promptTokens, event.usage.completionTokens);
        recorded = true;
      }
      yield event;
    }
  } finally {
    // Aborted (or failed) after generating: the work was done and a paid provider bills it. The runner reports
    // usage only in its `done`: the prompt counts at its minimum, each streamed delta as one token.
    if (!recorded && generated > 0) record(ports, modelId, context, await price, minimum, generated);
  }
}

/** Refuses what a budget cannot cover and records every chat's and embedding's cost. */
export function budgetStep(ports: BudgetPorts): InferenceStep {
  return {
    name: "budget",
    wrap: (next) => ({
      chat: (modelId, request, context) => budgeted(() => next.chat(modelId, request, context), ports, modelId, request, context),
      async embed(modelId, request, context) {
        const price = priceOf(ports, modelId);
        await admit(ports, modelId, context, minimumEmbedTokens(request), price);
        const result = await next.embed(modelId, request, context);
        record(ports, modelId, context, await price, result.promptTokens, 0);
        return result;
      },
      preload: (modelId, context) => next.preload(modelId, context),
    }),
  };
}
