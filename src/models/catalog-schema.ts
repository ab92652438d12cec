/**
 * The shape of config/catalog.json: the curated models chaibox can recommend and pull. Each entry carries
 * what fit needs to estimate memory offline (before a byte is downloaded) and each file's download facts.
 */
import { Type, type Static } from "@sinclair/typebox";

export const CATALOG_VERSION = 1;

/**
 * An Ollama library name as the catalog lists it: lowercase `name:tag` with exactly one colon and a tag, each
 * part a model-id segment (src/models/model-id.ts), so that the name is also a valid installed model id.
 */
export const OLLAMA_NAME_PATTERN = "^(?!.*\\.\\.)[a-z0-9][a-z0-9._-]*:[a-z0-9][a-z0-9._-]*$";

export const CatalogFileSchema = Type.Object(
  {
    /** Quantization as written in file names: Q8_0, Q6_K, Q5_K_M, Q4_K_M, IQ4_XS, F16… */
    quant: Type.String({ pattern: "^[A-Za-z0-9_]+$" }),
    /** `hf:<owner>/<repo>/<file.gguf>` (optionally `hf:<owner>/<repo>:<revision>/<file>`) or an https:// URL. */
    uri: Type.String({ pattern: "^(hf:[^/\\s]+/[^/\\s]+/\\S+\\.gguf|https://\\S+)$" }),
    /** Size of the file in bytes: exact (the published size) unless `sizeEstimated`. */
    sizeBytes: Type.Integer({ minimum: 1 }),
    /**
     * True when no published size was found and `sizeBytes` is computed from the parameter count and the
     * quantization's bits per weight (good to a few percent). Fit may plan with it; a download must not be
     * refused for differing from it, only for differing from the size the server announces. Default false.
     */
    sizeEstimated: Type.Optional(Type.Boolean()),
    /** Lowercase hex SHA-256 of the file, where known. */
    sha256: Type.Optional(Type.String({ pattern: "^[0-9a-f]{64}$" })),
  },
  { additionalProperties: false },
);
export type CatalogFile = Static<typeof CatalogFileSchema>;

/** The numbers an offline memory estimate needs (from the model's config / GGUF metadata). */
export const ArchitectureSchema = Type.Object(
  {
    /** Transformer blocks (`<arch>.block_count`). */
    layers: Type.Integer({ minimum: 1 }),
    /** Hidden size (`<arch>.embedding_length`). */
    embeddingLength: Type.Integer({ minimum: 1 }),
    /** Attention heads (`<arch>.attention.head_count`). */
    headCount: Type.Integer({ minimum: 1 }),
    /** Key/value heads (`<arch>.attention.head_count_kv`); fewer than headCount under grouped-query attention. */
    headCountKv: Type.Integer({ minimum: 1 }),
    /** Size of one head (`<arch>.attention.key_length`); default embeddingLength / headCount. */
    headDim: Type.Optional(Type.Integer({ minimum: 1 })),
    vocabularySize: Type.Integer({ minimum: 1 }),
    /** Tokens a sliding-window layer attends to, for models that interleave them (Gemma 3). */
    slidingWindow: Type.Optional(Type.Integer({ minimum: 1 })),
    /** How many of `layers` use the sliding window (Gemma 3: 5 of every 6). */
    slidingWindowLayers: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type Architecture = Static<typeof ArchitectureSchema>;

export const CatalogEntrySchema = Type.Object(
  {
    /** The catalog id, also the default installed model id: lowercase, e.g. `qwen3-4b`. */
    id: Type.String({ pattern: "^[a-z0-9][a-z0-9._-]*$", maxLength: 64 }),
    name: Type.String({ minLength: 1 }),
    family: Type.String({ minLength: 1, description: "e.g. qwen3, llama3.2, gemma3" }),
    /**
     * The Ollama library names (`name:tag`, lowercase, tag required) that denote this entry, e.g. `qwen3:8b` and
     * `qwen3:latest`; an Ollama client pulling one gets the entry's first file. A name belongs to one entry only
     * (checked by parseCatalog). Default: none (no Ollama counterpart).
     */
    ollama: Type.Optional(
      Type.Array(Type.String({ pattern: OLLAMA_NAME_PATTERN, maxLength: 128 }), {
        uniqueItems: true,
        description: "Ollama library names (name:tag, lowercase) that pull this entry's first file, e.g. qwen3:8b, qwen3:latest",
      }),
    ),
    /** One line a user reads when choosing. */
    description: Type.String({ minLength: 1 }),
    kind: Type.Union([Type.Literal("chat"), Type.Literal("embedding")]),
    /** Total parameters. */
    parameters: Type.Number({ minimum: 1 }),
    /** Parameters used per token, for mixture-of-experts models (Qwen3-30B-A3B: 3.3B); default all of them. */
    activeParameters: Type.Optional(Type.Number({ minimum: 1 })),
    /** SPDX id or the license's name, e.g. apache-2.0, llama3.2, gemma. */
    license: Type.String({ minLength: 1 }),
    /** Where the model's card lives. */
    homepage: Type.Optional(Type.String({ pattern: "^https://" })),
    capabilities: Type.Object(
      {
        tools: Type.Boolean(),
        reasoning: Type.Boolean(),
        embeddings: Type.Boolean(),
        vision: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
    /** Trained context length in tokens. */
    contextLength: Type.Integer({ minimum: 1 }),
    architecture: ArchitectureSchema,
    /** Best quantization first. */
    files: Type.Array(CatalogFileSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type CatalogEntry = Static<typeof CatalogEntrySchema>;

export const CatalogSchema = Type.Object(
  {
    version: Type.Literal(CATALOG_VERSION),
    models: Type.Array(CatalogEntrySchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type Catalog = Static<typeof CatalogSchema>;
