/**
 * One error registry, one envelope per dialect. Any thrown error — a domain {@link ChaiboxError}, a fastify
 * body/validation error, or a bug — is first normalized into a {@link NormalizedError}, then rendered in the
 * dialect of the route that failed. Clients never see a fastify-shaped error under /v1.
 */
import type { FastifyError } from "fastify";
import { ChaiboxError } from "../errors.js";

export interface NormalizedError {
  status: number;
  /** The registry code, or a wire-level code such as `invalid_json`. */
  code: string;
  message: string;
  param: string | null;
  retryAfterSeconds?: number;
  /** `budget_exceeded`'s figures, carried as `error.budget` in OpenAI's envelope (Ollama's message says them). */
  budget?: BudgetFigures;
  /** True for our own faults (5xx bugs), which are logged with their stack. */
  internal: boolean;
}

/** What a `budget_exceeded` error says of the app's budget (docs/chai-v1.md). Amounts in USD. */
export interface BudgetFigures {
  month: string;
  budget_usd: number;
  spent_usd: number;
  remaining_usd: number;
  estimated_cost_usd: number;
  currency: string;
}

/** OpenAI's `error.type` per code; codes not listed are `invalid_request_error` below 500, else `server_error`. */
const openAiTypes: Partial<Record<string, string>> = {
  queue_full: "server_error",
  insufficient_memory: "server_error",
  insufficient_storage: "server_error",
  forbidden: "permission_error",
  csrf_token_invalid: "permission_error",
  not_signed_in: "authentication_error",
  invalid_credentials: "authentication_error",
  rate_limited: "rate_limit_error",
  runner_crashed: "server_error",
  provider_unavailable: "server_error",
  provider_error: "server_error",
  shutting_down: "server_error",
};

/** Codes OpenAI clients know keep their name on the wire; the rest are ours and documented in the spec. */
function ajvCode(keyword: string): string {
  if (keyword === "required") return "missing_required_parameter";
  if (keyword === "type") return "invalid_type";
  if (keyword === "additionalProperties") return "unknown_parameter";
  return "invalid_value";
}

/** `/messages/0/content` → `messages[0].content`, as OpenAI names params. */
export function paramFromPointer(pointer: string): string | null {
  const parts = pointer.split("/").filter((p) => p !== "");
  if (parts.length === 0) return null;
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

function fromValidation(error: FastifyError): NormalizedError {
  const first = error.validation?.[0];
  if (!first) return { status: 400, code: "invalid_value", message: error.message, param: null, internal: false };
  const base = first.instancePath;
  let param = paramFromPointer(base);
  let message: string;
  const params = first.params;
  if (first.keyword === "required") {
    const missing = String(params.missingProperty);
    param = paramFromPointer(`${base}/${missing}`);
    message = `Missing required parameter: '${param}'.`;
  } else if (first.keyword === "additionalProperties") {
    const extra = String(params.additionalProperty);
    param = paramFromPointer(`${base}/${extra}`);
    message = `Unrecognized request argument supplied: ${param}`;
  } else {
    message = `Invalid value for '${param ?? "body"}': ${first.message ?? "invalid"}.`;
  }
  return { status: 400, code: ajvCode(first.keyword), message, param, internal: false };
}

/** SQLite's "database or disk is full" and the file system's ENOSPC/EDQUOT: a write the disk had no room for. */
function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_FULL" || code === "ENOSPC" || code === "EDQUOT";
}

export function normalizeError(error: unknown): NormalizedError {
  if (error instanceof ChaiboxError) {
    const out: NormalizedError = {
      status: error.status,
      code: error.code,
      message: error.message,
      param: error.details.param ?? null,
      internal: error.status >= 500 && error.code === "internal_error",
    };
    if (error.details.retryAfterSeconds !== undefined) out.retryAfterSeconds = error.details.retryAfterSeconds;
    if (error.code === "budget_exceeded" && error.details.budget !== undefined) out.budget = error.details.budget as BudgetFigures;
    return out;
  }
  if (isDiskFull(error)) {
    return {
      status: 507,
      code: "insufficient_storage",
      message: "The box's disk is full, so this change could not be saved. Free some space (chaibox models rm <id>) and try again.",
      param: null,
      internal: false,
    };
  }
  const fe = error as Partial<FastifyError>;
  if (fe.validation) return fromValidation(fe as FastifyError);
  switch (fe.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return {
        status: 400,
        code: "invalid_json",
        message: "We could not parse the JSON body of your request. Send a valid JSON object with Content-Type: application/json.",
        param: null,
        internal: false,
      };
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { status: 413, code: "request_too_large", message: "The request body is larger than this server accepts.", param: null, internal: false };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return { status: 415, code: "unsupported_media_type", message: "Send the request body as application/json.", param: null, internal: false };
  }
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, code: "invalid_request", message: fe.message ?? "Bad request", param: null, internal: false };
  }
  return { status: 500, code: "internal_error", message: "The server had an error while processing your request.", param: null, internal: true };
}

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; budget?: BudgetFigures };
}

/** OpenAI's envelope: `{"error": {"message", "type", "param", "code"}}`, and `budget` for `budget_exceeded`. */
export function openAiError(error: NormalizedError): OpenAiErrorBody {
  const type = openAiTypes[error.code] ?? (error.status >= 500 ? "server_error" : "invalid_request_error");
  const code = error.code === "invalid_json" ? null : error.code;
  return { error: { message: error.message, type, param: error.param, code, ...(error.budget && { budget: error.budget }) } };
}
