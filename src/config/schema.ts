/**
 * The one configuration schema. It gives the type, the defaults, the validation, the environment variable
 * names and the `--help` text; a key added here is configurable everywhere at once.
 *
 * Sources, later wins: defaults → YAML file → `CHAIBOX_*` environment → command-line flags.
 * Environment names are derived from the key path: `port` → `CHAIBOX_PORT`,
 * `inference.contextSize` → `CHAIBOX_INFERENCE_CONTEXT_SIZE`.
 */
import { Type, type Static } from "@sinclair/typebox";
import { availableParallelism } from "node:os";

/** A duration: seconds as a number, or a string like `90s`, `5m`, `1h`, `30d`; negative or `forever` = never. */
export const Duration = Type.Union([Type.Number(), Type.String({ pattern: "^(-?\\d+(\\.\\d+)?(ms|s|m|h|d)?|forever)$" })], {
  description: "seconds, or a string such as 30s, 5m, 1h, 30d; -1 or 'forever' never expires",
});

/**
 * The default `inference.threads` for a machine with this many cores: all of them up to 2, else three
 * quarters. llama.cpp's threads meet at a barrier after every operation, so one of them preempted stalls the
 * rest: with a thread on every core, the API process streaming the reply was seen to cut a 16-core box's
 * single-stream generation to 0.3× that of 12 threads, which generated fastest there (8 and 12 threads both
 * matched raw node-llama-cpp). On 2 cores the second thread still pays off in prompt processing.
 */
export function defaultThreads(cores: number): number {
  const usable = Math.max(1, Math.floor(cores));
  return usable <= 2 ? usable : usable - Math.ceil(usable / 4);
}

/** Cores this process may use; `os.cpus()` is empty under systemd's ProcSubset=pid, availableParallelism is not. */
const cores = Math.max(1, availableParallelism());

export const InferenceSchema = Type.Object(
  {
    contextSize: Type.Union([Type.Literal("auto"), Type.Integer({ minimum: 256, maximum: 1_048_576 })], {
      default: "auto",
      description:
        "context tokens available to each request (each parallel sequence gets this many): auto = the largest that fits the memory and the model's trained length, up to 32768 (more when a request's num_ctx asks for it)",
    }),
    parallel: Type.Union([Type.Literal("auto"), Type.Integer({ minimum: 1, maximum: 64 })], {
      default: "auto",
      description: "requests one model serves at the same time, each with its own context: auto = the CPU cores, at most 4",
    }),
    threads: Type.Integer({
      minimum: 1,
      maximum: 256,
      default: defaultThreads(cores),
      description:
        "CPU threads a model uses (default: the cores available to chaibox up to 2, else three quarters of them, leaving the rest to serving)",
    }),
    gpuLayers: Type.Union([Type.Literal("auto"), Type.Integer({ minimum: 0 })], {
      default: "auto",
      description: "layers offloaded to the GPU: auto (as many as fit), or a number (0 = CPU only)",
    }),
    memoryReserve: Type.Integer({
      minimum: 0,
      default: 1024,
      description: "RAM in MB kept free for the system when sizing models (fit never plans to use it)",
    }),
    vramReserve: Type.Integer({
      minimum: 0,
      default: 256,
      description: "GPU memory in MB kept free when sizing models (display, driver)",
    }),
    queueSize: Type.Integer({
      minimum: 0,
      maximum: 10_000,
      default: 512,
      description: "requests that may wait for a busy model, served round robin by app token; more are answered 503 with Retry-After",
    }),
    maxTokens: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_048_576,
        description: "tokens a reply may generate when the request sets no limit (default: what is left of the model's context after the prompt)",
      }),
    ),
    requestTimeout: {
      ...Duration,
      default: "10m",
      description:
        "wall-clock limit of one generation, waiting for a slot included: a reply still generating then ends with finish reason length (" +
        Duration.description +
        ")",
    },
    unloadWait: {
      ...Duration,
      default: "10s",
      description:
        "how long unloading or deleting a busy model waits for its requests before answering that it unloads once they finish (" +
        Duration.description +
        ")",
    },
    keepAlive: { ...Duration, default: "5m", description: "idle time before a model is unloaded (" + Duration.description + ")" },
    launcher: Type.Union([Type.Literal("auto"), Type.Literal("systemd"), Type.Literal("process")], {
      default: "auto",
      description:
        "how runners start: systemd = transient units chaibox-runner-<model>.service (memory-limited, in the journal), " +
        "process = child processes, auto = systemd when chaibox runs under systemd and reaches it over D-Bus",
    }),
    maxLoadedModels: Type.Integer({
      minimum: 1,
      maximum: 64,
      default: 2,
      description: "models kept loaded at once; loading another unloads the least recently used idle one",
    }),
  },
  { additionalProperties: false, default: {} },
);

/** Where models come from and how they are downloaded (`chaibox models pull`, `POST /admin/models/pulls`). */
export const ModelsSchema = Type.Object(
  {
    catalogFile: Type.String({
      default: "",
      description: "the model catalog that names like qwen3-4b resolve against (default: config/catalog.json of this installation)",
    }),
    hfEndpoint: Type.String({
      pattern: "^https?://[^\\s]+$",
      default: "https://huggingface.co",
      description: "Hugging Face endpoint that hf:<owner>/<repo>/<file> references resolve against (a mirror, or a local server)",
    }),
    hfToken: Type.Optional(
      Type.String({
        minLength: 1,
        description: "Hugging Face access token for gated models, sent only to hfEndpoint (default: $HF_TOKEN)",
      }),
    ),
    allowHosts: Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 64 }), Type.String({ maxLength: 4096 })], {
      default: [],
      description:
        "hosts (name, address or host:port; a list, or separated by commas) that pulls may fetch from although they are this box, loopback or link-local: a LAN mirror (hfEndpoint's host is always allowed)",
    }),
    downloadRetries: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 5,
      description: "retries, with exponential backoff, after a network error or a 5xx/429 answer that made no progress",
    }),
    stallTimeout: {
      ...Duration,
      default: "60s",
      description: "a download receiving no bytes for this long is retried (" + Duration.description + ")",
    },
    freeSpaceReserve: Type.Integer({
      minimum: 0,
      default: 256 * 1024 * 1024,
      description: "bytes a download must leave free on the data dir's disk; a pull that would leave less is refused",
    }),
    benchmarkWhenIdle: {
      ...Duration,
      default: "2m",
      description:
        "a model without measured speed is benchmarked in the background once the box has been idle this long; it makes way for any request (" +
        Duration.description +
        ": 'forever' turns it off)",
    },
  },
  { additionalProperties: false, default: {} },
);

/** The box itself, as apps see it (`/.well-known/chai`, mDNS). */
export const BoxSchema = Type.Object(
  {
    name: Type.String({
      maxLength: 63,
      default: "",
      description: "the box's name that apps show (default: this machine's host name)",
    }),
  },
  { additionalProperties: false, default: {} },
);

/** The Responses API's stored conversations (`POST /v1/responses` with `store`, `previous_response_id`). */
export const ResponsesSchema = Type.Object(
  {
    retention: {
      ...Duration,
      default: "30d",
      description:
        "how long stored responses are kept for GET /v1/responses/{id} and previous_response_id, counted from their creation (" +
        Duration.description +
        ")",
    },
  },
  { additionalProperties: false, default: {} },
);

/** Limits of the HTTP server against slow or idle clients. */
export const HttpSchema = Type.Object(
  {
    requestTimeout: {
      ...Duration,
      default: "30s",
      description: "time a client has to send a whole request, headers and body; slower ones get 408 (" + Duration.description + ")",
    },
    connectionTimeout: {
      ...Duration,
      default: "10m",
      description: "a connection with no bytes either way for this long is closed (" + Duration.description + ")",
    },
  },
  { additionalProperties: false, default: {} },
);

/** Who may use the API (`serve --no-auth` turns `required` off). */
export const AuthSchema = Type.Object(
  {
    required: Type.Boolean({
      default: true,
      description:
        "whether /v1, /api, /chai/v1/select and /metrics need an app token, and /admin a signed-in admin; false (development only) opens the API and leaves /admin to this machine",
    }),
  },
  { additionalProperties: false, default: {} },
);

/**
 * One upstream: another Chai box or an OpenAI-compatible server whose models this box serves as
 * `<id>/<model>`. The key never leaves the box except to this provider (see src/providers/).
 */
export const ProviderConfigSchema = Type.Object(
  {
    id: Type.String({ pattern: "^[a-z0-9][a-z0-9-]{0,31}$", description: "short name, the prefix of its models' ids" }),
    kind: Type.Union([Type.Literal("chai"), Type.Literal("openai")], { description: "chai: another Chai box; openai: any OpenAI-compatible server" }),
    url: Type.String({ minLength: 1, maxLength: 2048, description: "chai: the box's address (http://study.local); openai: the API's base URL, as its docs give it (…/v1)" }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "shown to people (default: the id)" })),
    api_key: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: "the key (a Chai box's app token); sent to this provider only" })),
    prices: Type.Optional(
      Type.Object(
        {
          input_per_million_tokens: Type.Number({ minimum: 0 }),
          output_per_million_tokens: Type.Number({ minimum: 0 }),
        },
        { additionalProperties: false, description: "USD per million tokens, for a paid provider" },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ProviderConfig = Static<typeof ProviderConfigSchema>;

export const ConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: "0.0.0.0", description: "address the HTTP server listens on" }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: "HTTP port (the image uses 80)" }),
    dataDir: Type.String({
      default: "",
      description: "where models and state live (default: $STATE_DIRECTORY, else ~/.local/share/chaibox)",
    }),
    logLevel: Type.Union(
      [Type.Literal("fatal"), Type.Literal("error"), Type.Literal("warn"), Type.Literal("info"), Type.Literal("debug"), Type.Literal("trace")],
      { default: "info", description: "log level: fatal, error, warn, info, debug, trace" },
    ),
    demoModel: Type.Boolean({
      default: false,
      description: "generate and install the demo model (random weights) when no model is installed",
    }),
    bodyLimit: Type.Integer({ minimum: 1024, default: 8 * 1024 * 1024, description: "largest request body in bytes" }),
    trustProxy: Type.Union([Type.Boolean(), Type.String({ minLength: 1 })], {
      default: false,
      description:
        "behind a reverse proxy: true, or the proxy's addresses (comma-separated), so X-Forwarded-For/-Proto count (client addresses for rate limits, the Secure cookie behind HTTPS)",
    }),
    mdns: Type.Union([Type.Literal("auto"), Type.Literal("avahi"), Type.Literal("embedded"), Type.Literal("off")], {
      default: "auto",
      description:
        "advertise _chai._tcp and _http._tcp on the network: auto (avahi-daemon when it is on the system D-Bus, else the embedded responder), avahi, embedded or off",
    }),
    providers: Type.Array(ProviderConfigSchema, {
      default: [],
      maxItems: 64,
      description: "other Chai boxes and OpenAI-compatible servers whose models this box serves (see README, Providers); in the environment, a JSON list",
    }),
    inference: InferenceSchema,
    models: ModelsSchema,
    box: BoxSchema,
    responses: ResponsesSchema,
    auth: AuthSchema,
    http: HttpSchema,
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type InferenceConfig = Static<typeof InferenceSchema>;
export type ModelsConfig = Static<typeof ModelsSchema>;
export type BoxConfig = Static<typeof BoxSchema>;
export type ResponsesConfig = Static<typeof ResponsesSchema>;
export type AuthConfig = Static<typeof AuthSchema>;

/** Parses a {@link Duration} into milliseconds; `Infinity` for never. */
export function durationMs(value: number | string): number {
  if (typeof value === "number") return value < 0 ? Infinity : value * 1000;
  if (value === "forever") return Infinity;
  const match = /^(-?\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value);
  if (!match) throw new Error(`invalid duration: ${value}`);
  const amount = Number(match[1]);
  if (amount < 0) return Infinity;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? "s"] ?? 1000;
  return amount * unit;
}
