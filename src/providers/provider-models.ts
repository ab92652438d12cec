/**
 * A provider's models as Chai describes them, pure: `<provider id>/<model id>` with a full `chai` object.
 * A Chai box (or any server that sends `chai`) describes its own models, so its object is kept; of another
 * server only what it reports is known (vLLM's `max_model_len`, a `context_length`), and nothing else is
 * claimed. Prices are the owner's for this provider, else the provider's own. The speed is what this box
 * measured through the provider when it has figures, else the provider's.
 */
import { Value } from "@sinclair/typebox/value";
import { ChaiModelInfoSchema, type ChaiModel, type ChaiModelInfo, type ChaiPerformance } from "../models/description/model-description.js";
import { PRICING_CURRENCY } from "../models/description/model-info.js";
import type { ProviderSpec } from "./provider-spec.js";
import type { UpstreamModel } from "./upstream.js";

/** The context assumed of a model whose server says nothing about it: small, so nothing is promised that fails. */
export const UNKNOWN_CONTEXT_LENGTH = 4096;

/** What this box measured of a provider's model: a moving average of its answers through the provider. */
export interface ProviderSpeed {
  generationTokensPerSecond: number;
  timeToFirstTokenMs: number;
  measuredAt: string;
}

function reportedContext(entry: UpstreamModel): number {
  for (const key of ["max_model_len", "context_length", "context_window", "max_context_length"]) {
    const value = entry[key];
    if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  }
  return UNKNOWN_CONTEXT_LENGTH;
}

/** The `chai` object a server sent, when it is one (a Chai box's), else undefined. */
function reportedChai(entry: UpstreamModel): ChaiModelInfo | undefined {
  const { provider: _ignored, ...chai } = (entry.chai ?? {}) as Record<string, unknown>;
  return Value.Check(ChaiModelInfoSchema, chai) ? chai : undefined;
}

function learnedChai(entry: UpstreamModel): ChaiModelInfo {
  const context = reportedContext(entry);
  return {
    context_length: context,
    max_context_length: context,
    modalities: { input: ["text"], output: ["text"] },
    // Streaming is part of the Chat Completions API itself; anything else would be a guess.
    capabilities: { tools: false, json_schema: false, reasoning: false, embeddings: false, streaming: true },
    performance: { generation_tokens_per_second: null, prompt_tokens_per_second: null, time_to_first_token_ms: null, source: "estimated", measured_at: null },
    pricing: { input_per_million_tokens: 0, output_per_million_tokens: 0, currency: PRICING_CURRENCY },
    state: "available",
    size_bytes: 0,
    quantization: null,
    parameters: 0,
    family: null,
  };
}

function performance(reported: ChaiPerformance, measured: ProviderSpeed | undefined): ChaiPerformance {
  if (!measured) return reported;
  return {
    generation_tokens_per_second: Math.round(measured.generationTokensPerSecond * 10) / 10,
    prompt_tokens_per_second: reported.prompt_tokens_per_second,
    time_to_first_token_ms: Math.round(measured.timeToFirstTokenMs * 10) / 10,
    source: "live",
    measured_at: measured.measuredAt,
  };
}

/** One provider model as this box lists it. `available` false shows it as unavailable (the provider is down). */
export function describeProviderModel(spec: ProviderSpec, entry: UpstreamModel, available: boolean, measured?: ProviderSpeed): ChaiModel {
  const chai = reportedChai(entry) ?? learnedChai(entry);
  const created = typeof entry.created === "number" && Number.isFinite(entry.created) ? Math.floor(entry.created) : 0;
  return {
    id: `${spec.id}/${entry.id}`,
    object: "model",
    created,
    owned_by: spec.id,
    chai: {
      ...chai,
      performance: performance(chai.performance, measured),
      pricing: spec.prices
        ? { input_per_million_tokens: spec.prices.inputPerMillion, output_per_million_tokens: spec.prices.outputPerMillion, currency: PRICING_CURRENCY }
        : chai.pricing,
      state: available ? chai.state : "unavailable",
      provider: { id: spec.id, kind: spec.kind, name: spec.name },
    },
  };
}
