/**
 * Which service a model serves (chat or embeddings), decided from its GGUF file, and the error a request of
 * the other kind gets. Pure: the runner reads the pooling type, the scheduler checks the loaded info.
 */
import type { ModelKind } from "./contract.js";
import { ChaiboxError } from "../errors.js";

/**
 * llama.cpp's pooling types that make one vector per input (`enum llama_pooling_type`: mean 1, cls 2,
 * last 3). `none` (0) and absent belong to generative models; `rank` (4) is a reranker's score, not a vector.
 */
const vectorPoolingTypes: ReadonlySet<number> = new Set([1, 2, 3]);

/** The kind of a model whose GGUF declares `poolingType` (`<arch>.pooling_type`; undefined when absent). */
export function modelKindOf(poolingType: number | undefined): ModelKind {
  return poolingType !== undefined && vectorPoolingTypes.has(poolingType) ? "embedding" : "chat";
}

/** The `wrong_model_kind` error for a request that model `modelId`, being a `kind` model, cannot serve. */
export function wrongModelKindError(modelId: string, kind: ModelKind): ChaiboxError {
  const message =
    kind === "embedding"
      ? `Model '${modelId}' is an embedding model: it computes embeddings (POST /v1/embeddings) and cannot chat.`
      : `Model '${modelId}' is a chat model and cannot compute embeddings: use an embedding model.`;
  return new ChaiboxError("wrong_model_kind", message, { param: "model", modelId, kind });
}
