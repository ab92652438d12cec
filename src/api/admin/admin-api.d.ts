/**
 * What the `/admin` routes answer, typed once for both builds: the routes (src/api/admin/) declare their
 * results with these types, and the web UI (src/web/, a separate browser build) reads the same ones. A
 * declaration file, so the web build can import it from outside its root and emits nothing for it.
 */

export interface Session {
  setup_required: boolean;
  signed_in: boolean;
  csrf_token: string | null;
  auth_required: boolean;
}

export interface SignedIn {
  signed_in: true;
  csrf_token: string;
  expires_at: string;
}

export interface Recommendation {
  ref: string;
  name: string;
  kind: "chat" | "embedding";
  description: string | null;
  size_bytes: number;
  quantization: string;
  installed: boolean;
  tokens_per_second: number;
  context_length: number;
  slow: boolean;
  /** The one the first run ticks: comfortable speed, reasonable download, memory to spare. */
  preselected: boolean;
  /** Estimated download time at `download_bytes_per_second`. */
  download_seconds: number;
  reason: string;
}

export interface Recommendations {
  /** The box in one plain sentence. */
  summary: string;
  /** The hardware line by line (CPU flags and all), for the details. */
  hardware: string[];
  download_bytes_per_second: number;
  message: string | null;
  choices: Recommendation[];
  skipped: { name: string; reason: string }[];
}

export type PullState = "queued" | "downloading" | "verifying" | "done" | "failed" | "cancelled";

export interface Pull {
  id: string;
  ref: string;
  modelId: string;
  state: PullState;
  receivedBytes: number;
  totalBytes: number | null;
  bytesPerSecond: number;
  etaSeconds: number | null;
  retryReason: string | null;
  error: { code: string; message: string } | null;
}

export interface Status {
  box: { name: string; version: string; uptime_seconds: number };
  hardware: string[];
  models: {
    id: string;
    size_bytes: number;
    context_length: number;
    tokens_per_second: number | null;
    speed_source: string;
    loaded: { active: number; queued: number; gpu_layers: number } | null;
  }[];
  memory: { totalBytes: number; availableBytes: number };
  gpus: { name: string; vram_total_bytes: number; vram_free_bytes: number | null }[];
  disk: { path: string; totalBytes: number; freeBytes: number };
  /** The inference engine runners load; `build` while `chaibox engine build` runs (first boot) or after it failed. */
  engine: {
    in_use: "native" | "prebuilt";
    variant: string | null;
    build: { state: "building" | "failed"; percent: number; step: string; started_at: string; error: string | null } | null;
  };
}

export interface AppToken {
  id: string;
  object: "app_token";
  name: string;
  scope: "inference" | "models" | "admin";
  source: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** This month's budget and spending (USD). */
  budget: AppBudget;
  /** This month's usage, per provider. */
  usage_by_provider: ProviderUsage[];
}

/** An app's monthly budget and where it stands this month (UTC), in USD. */
export interface AppBudget {
  /** null: no budget (no limit). */
  monthly_usd: number | null;
  /** `YYYY-MM`. */
  month: string;
  spent_usd: number;
  /** null without a budget; never below 0. */
  remaining_usd: number | null;
}

/** One app's usage of one provider in one month. */
export interface ProviderUsage {
  /** `local` for this box's own models, else the provider's id. */
  provider: string;
  prompt_tokens: number;
  completion_tokens: number;
  requests: number;
  cost_usd: number;
}

/** `GET /admin/usage`: one month's usage per app and per provider. */
export interface UsageReport {
  object: "usage";
  /** `YYYY-MM` (UTC). */
  month: string;
  /** One entry per app that used the box that month; `app_id` null for calls without an app token. */
  data: { app_id: string | null; name: string; cost_usd: number; usage_by_provider: ProviderUsage[] }[];
  total_cost_usd: number;
}

export interface Pairing {
  id: string;
  object: "pairing";
  app_name: string;
  app_id: string | null;
  user_code: string;
  client_address: string | null;
  created_at: string;
  expires_at: string;
}

export interface Settings {
  box_name: string;
  auth_required: boolean;
  /** Keep-alive and parallel in force; absent where the server offers no serving settings (tests of other parts). */
  keep_alive?: string;
  parallel?: number | "auto";
}

export interface Connect {
  url: string;
  api_base: string;
  ollama_url: string;
  mdns: { responder: "avahi" | "embedded" | "none"; host: string | null; service: string; type: string };
  qr_svg: string;
}

export interface List<T> {
  object: "list";
  data: T[];
}

/** A provider this box uses (`/admin/providers`): never its key, only whether it has one. */
export interface ProviderView {
  id: string;
  object: "provider";
  kind: "chai" | "openai";
  name: string;
  url: string;
  /** config: from the YAML file (read-only here); admin: added from the admin API or Settings. */
  source: "config" | "admin";
  /** ready: it answers; unavailable: its last check failed; pairing: waiting for its owner's approval. */
  status: "ready" | "unavailable" | "pairing" | "pairing_failed";
  error: string | null;
  has_api_key: boolean;
  prices: { input_per_million_tokens: number; output_per_million_tokens: number; currency: string } | null;
  /** Its models as this box lists them: `<provider id>/<model id>`. */
  models: string[];
  /** Requests of this box under way there. */
  in_flight: number;
  checked_at: string | null;
  /** While pairing: the code the other box's owner approves, and where. */
  pairing: { user_code: string; verification_uri: string; expires_at: string } | null;
}

/** A Chai box found on the network (`/admin/providers/discovered`). */
export interface DiscoveredBox {
  name: string;
  url: string;
  box_id: string | null;
  /** A provider with this URL exists already. */
  added: boolean;
}
