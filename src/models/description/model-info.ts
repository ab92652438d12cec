/**
 * The installed models as Chai describes them (`/v1/models`, select, `model: "auto"`): OpenAI's fields plus
 * the `chai` object. Everything comes from what chaibox knows for certain: the manifest, the file's traits
 * (read from the GGUF file and its chat wrapper), fit's plan or the loaded runner, and the speed figures in
 * SQLite. {@link describeModel} is the pure assembly; {@link ModelInfoDirectory} gathers its inputs.
 */
import type { ChaiModel, ChaiModelDirectory, ChaiPerformance } from "./model-description.js";
import type { LoadedModelInfo } from "../../engine/contract.js";
import type { LoadedModelStatus } from "../../engine/scheduler-types.js";
import type { StoredSpeed } from "../performance/performance-store.js";
import { catalogOrigin } from "../planning/candidates.js";
import type { Catalog } from "../catalog.js";
import type { GgufInsightsTable } from "../../engine/native/insights-table.js";
import { defaultFitPolicy } from "../planning/fit.js";
import type { ModelPlan } from "../planning/load-plan.js";
import type { StoredModel } from "../store.js";

/** ISO 4217 code of `pricing`: local models cost nothing, and a cloud-backed Chai server states its own. */
export const PRICING_CURRENCY = "USD";

/** What {@link describeModel} assembles a model's description from. */
export interface ModelFacts {
  model: StoredModel;
  /** GgufInsights' table with the file's traits; absent when the file could not be read. */
  insights?: GgufInsightsTable;
  /** The loaded runner's report, when the model is loaded. */
  loaded?: LoadedModelInfo;
  /** Fit's plan for loading it now; absent when it does not fit (or when loaded: the runner's figures win). */
  plan?: Pick<ModelPlan["choice"], "contextSize" | "tokensPerSecond">;
  speed: { measured?: StoredSpeed; live?: StoredSpeed };
  /** The catalog's family, for a model installed from the catalog. */
  catalogFamily?: string;
}

const round1 = (value: number | null): number | null => (value === null ? null : Math.round(value * 10) / 10);

/**
 * Speed figures: a benchmark's when there is one (the same fixed workload for every model, so models compare
 * fairly), else the live average of real requests, else fit's generation estimate (chat models only).
 */
export function performanceOf(speed: ModelFacts["speed"], estimatedTokensPerSecond: number | undefined): ChaiPerformance {
  const stored = speed.measured ?? speed.live;
  if (stored) {
    return {
      generation_tokens_per_second: round1(stored.generationTokensPerSecond),
      prompt_tokens_per_second: round1(stored.promptTokensPerSecond),
      time_to_first_token_ms: round1(stored.timeToFirstTokenMs),
      source: stored.source,
      measured_at: stored.measuredAt,
    };
  }
  return {
    generation_tokens_per_second: estimatedTokensPerSecond === undefined ? null : round1(estimatedTokensPerSecond),
    prompt_tokens_per_second: null,
    time_to_first_token_ms: null,
    source: "estimated",
    measured_at: null,
  };
}

/** One installed model as Chai describes it. Pure. */
export function describeModel(facts: ModelFacts): ChaiModel {
  const { model, insights, loaded, plan } = facts;
  const traits = insights?.traits;
  const embeddings = traits?.embeddings ?? false;
  // Unknown until the file has been read: then nothing is claimed but plain text.
  const chat = traits !== undefined && !embeddings;
  const maxContext = model.gguf.contextLength ?? insights?.trainContextSize ?? loaded?.trainContextSize;
  // A model that does not fit now reports the smallest context fit would try for it.
  const context = loaded?.sequenceContextSize ?? plan?.contextSize ?? Math.min(defaultFitPolicy.minContextSize, maxContext ?? Infinity);
  return {
    id: model.id,
    object: "model",
    created: Math.floor(Date.parse(model.addedAt) / 1000),
    owned_by: "chaibox",
    chai: {
      context_length: Math.max(1, Math.floor(context)),
      max_context_length: Math.max(1, Math.floor(maxContext ?? context)),
      modalities: { input: ["text"], output: [embeddings ? "embedding" : "text"] },
      capabilities: {
        tools: chat && traits?.tools === true,
        // Chat output is held to a schema by a grammar in the runner, on every chat model.
        json_schema: chat,
        reasoning: chat && traits?.reasoning === true,
        embeddings,
        streaming: chat,
      },
      performance: performanceOf(facts.speed, chat ? plan?.tokensPerSecond : undefined),
      pricing: { input_per_million_tokens: 0, output_per_million_tokens: 0, currency: PRICING_CURRENCY },
      state: loaded ? "loaded" : "available",
      size_bytes: model.sizeBytes,
      quantization: model.gguf.fileType ?? null,
      parameters: model.gguf.parameters,
      family: facts.catalogFamily ?? traits?.architecture ?? model.gguf.architecture,
    },
  };
}

/** Where the directory reads each fact from; main.ts wires the store, insights probe, planner, scheduler and SQLite. */
export interface ModelInfoSources {
  models(): Promise<StoredModel[]>;
  insights(path: string, sha256: string): Promise<GgufInsightsTable>;
  plan(modelId: string): Promise<ModelPlan>;
  loaded(): LoadedModelStatus[];
  speed(sha256: string): ModelFacts["speed"];
  /** The model catalog, for the family of catalog models; undefined when it cannot be read. Default: none. */
  catalog?: () => Promise<Catalog | undefined>;
  /** Where problems reading a model go (the model is still listed). Default: nowhere. */
  warn?: (object: object, message: string) => void;
}

/** {@link ChaiModelDirectory} over the installed models. */
export class ModelInfoDirectory implements ChaiModelDirectory {
  /**
   * Fit's last speed estimate per model id: fit does not plan a loaded model (its own memory would count
   * against it), so a loaded model without figures yet keeps the estimate it had before it was loaded.
   */
  private readonly estimates = new Map<string, number>();

  constructor(private readonly sources: ModelInfoSources) {}

  async list(): Promise<ChaiModel[]> {
    const [models, catalog] = await Promise.all([this.sources.models(), this.sources.catalog?.()]);
    const loaded = new Map(this.sources.loaded().map((status) => [status.modelId, status.info]));
    const described: ChaiModel[] = [];
    // One at a time: a file read for the first time costs a short child process each.
    for (const model of models) described.push(describeModel(await this.facts(model, loaded.get(model.id), catalog)));
    return described;
  }

  private async facts(model: StoredModel, loaded: LoadedModelInfo | undefined, catalog: Catalog | undefined): Promise<ModelFacts> {
    const warn = this.sources.warn ?? (() => undefined);
    const insights = await this.sources.insights(model.path, model.sha256).catch((error: unknown) => {
      warn({ model: model.id, err: (error as Error).message }, "cannot read the model file's traits");
      return undefined;
    });
    // Fit plans only a model that is not loaded: a loaded one reports its runner's real context.
    let plan: ModelFacts["plan"] = loaded || !insights ? undefined : await this.sources.plan(model.id).then((p) => p.choice, () => undefined);
    if (plan) this.estimates.set(model.id, plan.tokensPerSecond);
    const estimate = this.estimates.get(model.id);
    if (loaded && estimate !== undefined) plan = { contextSize: loaded.sequenceContextSize, tokensPerSecond: estimate };
    const family = catalog ? catalogOrigin(model, catalog)?.entry.family : undefined;
    return {
      model,
      ...(insights && { insights }),
      ...(loaded && { loaded }),
      ...(plan && { plan }),
      speed: this.sources.speed(model.sha256),
      ...(family !== undefined && { catalogFamily: family }),
    };
  }
}
