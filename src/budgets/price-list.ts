/**
 * Model prices for the budget step, read from the model directory's `chai.pricing` (what `/v1/models` says),
 * so what an app is charged is what the box advertises. Describing every model takes work (file traits, fit),
 * so the list is kept for a few seconds: a price lookup must not describe every model on every request.
 */
import type { ModelPrice } from "../engine/pipeline/budget.js";
import type { ChaiModel } from "../models/description/model-description.js";

/** How long one read of the directory answers price lookups. 5 s. */
export const PRICE_LIST_TTL_MS = 5_000;
/** A lookup of a model the list does not name reads it again when the list is at least this old. 1 s. */
const MISS_REREAD_MS = 1_000;

/** A price lookup over `list`, read at most once per `ttlMs`; concurrent lookups share one read. */
export function priceList(list: () => Promise<ChaiModel[]>, ttlMs = PRICE_LIST_TTL_MS, now: () => number = Date.now): (modelId: string) => Promise<ModelPrice | undefined> {
  let cached: { at: number; prices: Promise<Map<string, ModelPrice>> } | undefined;
  const read = async (): Promise<Map<string, ModelPrice>> => {
    const prices = new Map<string, ModelPrice>();
    for (const model of await list()) {
      const { input_per_million_tokens, output_per_million_tokens, currency } = model.chai.pricing;
      prices.set(model.id, { inputPerMillion: input_per_million_tokens, outputPerMillion: output_per_million_tokens, currency });
    }
    return prices;
  };
  const refresh = (): Promise<Map<string, ModelPrice>> => {
    const entry = { at: now(), prices: read() };
    cached = entry;
    // A failed read is not kept: the next lookup tries again.
    entry.prices.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return entry.prices;
  };
  return async (modelId) => {
    const entry = cached;
    const prices = await (entry === undefined || now() - entry.at >= ttlMs ? refresh() : entry.prices);
    const price = prices.get(modelId);
    // A model the list does not name yet (a provider's, just added) is looked for once more in a fresh read,
    // at most once a second, rather than taken as free until the list expires.
    if (price === undefined && cached !== undefined && now() - cached.at >= MISS_REREAD_MS) return (await refresh()).get(modelId);
    return price;
  };
}
