/**
 * Choosing among the described models, pure: which models meet an app's requirements, ranked by its
 * preference, each with a reason; the others with every requirement they failed. `POST /chai/v1/select`
 * (api/chai/select.ts) answers with it, and `model: "auto"` (auto-model.ts) uses it with requirements taken
 * from the request itself.
 */
import type { BudgetStanding } from "../../engine/pipeline/index.js";
import type { ChaiModel } from "../description/model-description.js";

export type Capability = "tools" | "json_schema" | "reasoning" | "embeddings" | "streaming";
export type Preference = "quality" | "speed" | "cost";

export interface SelectRequirements {
  capabilities?: Capability[];
  input_modalities?: ("text" | "image" | "audio")[];
  output_modalities?: ("text" | "embedding")[];
  /** Context tokens one request needs. */
  min_context_length?: number;
  min_generation_tokens_per_second?: number;
  /** Highest acceptable price per million input tokens (currency of the model's pricing). */
  max_input_price_per_million_tokens?: number;
  max_output_price_per_million_tokens?: number;
}

export interface SelectChoice {
  model: string;
  rank: number;
  reason: string;
  chai: ChaiModel["chai"];
}

export interface SelectRejection {
  model: string;
  /** Each requirement it failed, as `<requirement>: <why>`. */
  failed: string[];
}

export interface SelectResult {
  data: SelectChoice[];
  rejected: SelectRejection[];
}

/** Every requirement `model` fails; empty when it meets them all. */
export function failedRequirements(model: ChaiModel, requirements: SelectRequirements): string[] {
  const { chai } = model;
  const failed: string[] = [];
  // A provider's model while its provider does not answer: choosing it would only get a 503.
  if (chai.state === "unavailable") failed.push("state: unavailable, its provider does not answer now");
  for (const capability of requirements.capabilities ?? []) {
    if (!chai.capabilities[capability]) failed.push(`capabilities: no ${capability}`);
  }
  for (const modality of requirements.input_modalities ?? []) {
    if (!chai.modalities.input.includes(modality)) failed.push(`input_modalities: no ${modality} input`);
  }
  for (const modality of requirements.output_modalities ?? []) {
    if (!chai.modalities.output.includes(modality)) failed.push(`output_modalities: no ${modality} output`);
  }
  const minContext = requirements.min_context_length;
  if (minContext !== undefined && chai.context_length < minContext) {
    failed.push(`min_context_length: serves ${chai.context_length} tokens, ${minContext} needed`);
  }
  const minSpeed = requirements.min_generation_tokens_per_second;
  const speed = chai.performance.generation_tokens_per_second;
  if (minSpeed !== undefined && (speed === null || speed < minSpeed)) {
    failed.push(`min_generation_tokens_per_second: ${speed === null ? "unknown" : `${round(speed)} tok/s`}, ${minSpeed} needed`);
  }
  const maxIn = requirements.max_input_price_per_million_tokens;
  if (maxIn !== undefined && chai.pricing.input_per_million_tokens > maxIn) {
    failed.push(`max_input_price_per_million_tokens: costs ${chai.pricing.input_per_million_tokens} ${chai.pricing.currency}, at most ${maxIn}`);
  }
  const maxOut = requirements.max_output_price_per_million_tokens;
  if (maxOut !== undefined && chai.pricing.output_per_million_tokens > maxOut) {
    failed.push(`max_output_price_per_million_tokens: costs ${chai.pricing.output_per_million_tokens} ${chai.pricing.currency}, at most ${maxOut}`);
  }
  return failed;
}

const speedOf = (m: ChaiModel) => m.chai.performance.generation_tokens_per_second ?? -1;
const priceOf = (m: ChaiModel) => m.chai.pricing.input_per_million_tokens + m.chai.pricing.output_per_million_tokens;
/** A loaded model answers without the seconds a load takes: the tie-breaker of last resort. */
const loadedFirst = (a: ChaiModel, b: ChaiModel) => Number(b.chai.state === "loaded") - Number(a.chai.state === "loaded");

const orders: Record<Preference, (a: ChaiModel, b: ChaiModel) => number> = {
  // A bigger model answers better; among equals the faster, then the loaded one.
  quality: (a, b) => b.chai.parameters - a.chai.parameters || speedOf(b) - speedOf(a) || loadedFirst(a, b),
  speed: (a, b) => speedOf(b) - speedOf(a) || loadedFirst(a, b) || b.chai.parameters - a.chai.parameters,
  cost: (a, b) => priceOf(a) - priceOf(b) || speedOf(b) - speedOf(a) || b.chai.parameters - a.chai.parameters,
};

function reason(model: ChaiModel, preference: Preference): string {
  const { chai } = model;
  const speed = chai.performance.generation_tokens_per_second;
  const parts = [
    `${formatParameters(chai.parameters)} parameters`,
    speed === null ? "speed unknown" : `~${round(speed)} tok/s (${chai.performance.source})`,
    `${chai.context_length}-token context`,
    priceOf(model) === 0 ? "free" : `${chai.pricing.input_per_million_tokens}/${chai.pricing.output_per_million_tokens} ${chai.pricing.currency} per million tokens in/out`,
    chai.state,
  ];
  const lead = { quality: "largest that fits", speed: "fastest", cost: "cheapest" }[preference];
  return `${parts.join(", ")} (ranked by ${preference}: ${lead} first)`;
}

/**
 * Why the app cannot afford `model`, or undefined when it can: a priced model is out of reach once the app's
 * monthly budget is spent. Free (local) models always are within it.
 */
export function unaffordable(model: ChaiModel, budget: BudgetStanding | undefined): string | undefined {
  if (budget === undefined || budget.budgetUsd === null || budget.remainingUsd === null || budget.remainingUsd > 0 || priceOf(model) === 0) return undefined;
  const spent = Math.round(budget.spentUsd * 1e6) / 1e6;
  return `budget: this app's monthly budget of ${budget.budgetUsd} USD for ${budget.month} is spent (${spent} USD spent, 0 USD left), and this model costs ${model.chai.pricing.input_per_million_tokens}/${model.chai.pricing.output_per_million_tokens} ${model.chai.pricing.currency} per million tokens in/out`;
}

/**
 * Ranks the models that meet `requirements` by `preference`; lists the rest with what they failed. With the
 * caller's `budget` (an app token's standing), priced models it cannot afford are left out. Default: none.
 */
export function selectModels(models: ChaiModel[], requirements: SelectRequirements, preference: Preference = "quality", budget?: BudgetStanding): SelectResult {
  const matching: ChaiModel[] = [];
  const rejected: SelectRejection[] = [];
  for (const model of models) {
    const failed = failedRequirements(model, requirements);
    const outOfBudget = unaffordable(model, budget);
    if (outOfBudget !== undefined) failed.push(outOfBudget);
    if (failed.length === 0) matching.push(model);
    else rejected.push({ model: model.id, failed });
  }
  matching.sort(orders[preference]);
  return {
    data: matching.map((model, i) => ({ model: model.id, rank: i + 1, reason: reason(model, preference), chai: model.chai })),
    rejected,
  };
}

function round(value: number): number {
  return value >= 10 ? Math.round(value) : Math.round(value * 10) / 10;
}

function formatParameters(parameters: number): string {
  if (parameters >= 1e9) return `${round(parameters / 1e9)}B`;
  if (parameters >= 1e6) return `${round(parameters / 1e6)}M`;
  return `${Math.round(parameters / 1e3)}K`;
}
