/**
 * The error registry. Domain code throws a {@link ChaiboxError} with a code from here; each wire dialect maps
 * the code to its own envelope (see src/api/errors.ts), so the same failure reads naturally to an OpenAI
 * client and to an Ollama client. Errors cross the runner IPC as `{ code, message, details }`.
 */

export const errorCodes = {
  /** The request is malformed or violates the schema. */
  invalid_request: { status: 400 },
  /** A parameter chaibox understands but does not serve (e.g. `n > 1`). */
  unsupported_parameter: { status: 400 },
  model_not_found: { status: 404 },
  /** The model is of the other kind: a chat request to an embedding model, or an embedding request to a chat model. */
  wrong_model_kind: { status: 400 },
  /** The prompt (plus the requested output) does not fit the model's context. */
  context_length_exceeded: { status: 400 },
  /** The model's wait queue is full; `details.retryAfterSeconds` says when to retry. */
  queue_full: { status: 503 },
  /** The model does not fit the memory that is free; `details` carries the numbers. */
  insufficient_memory: { status: 507 },
  /** The runner process of a model ended while serving the request (crash, OOM kill, SIGKILL). */
  runner_crashed: { status: 502 },
  /**
   * The model file does not load (a damaged or tampered file): `models add` refuses it, and an installed one
   * answers this at once until the file changes. Not a 5xx: the server works, the file does not, and a retry
   * cannot help (SDKs retry 5xx).
   */
  model_load_failed: { status: 422 },
  /** The model's output could not be made to match the requested JSON schema or tool arguments. */
  invalid_model_output: { status: 500 },
  /** The client went away before the reply was complete (nginx's 499); nobody reads this reply. */
  client_disconnected: { status: 499 },
  /** An unload (keep_alive 0) found the model still answering requests after the bounded wait; it unloads once they finish. */
  model_busy: { status: 409 },
  /**
   * A provider (another Chai box or an OpenAI-compatible server) cannot be reached, is marked down, timed out
   * or has too many requests of this box in flight; `details.retryAfterSeconds` says when to retry.
   */
  provider_unavailable: { status: 503 },
  /** No provider has this id (`/admin/providers/{id}`). */
  provider_not_found: { status: 404 },
  /** A provider answered with a failure of its own (a 5xx, a refused key) or broke off mid-reply. */
  provider_error: { status: 502 },
  /** The service is shutting down. */
  shutting_down: { status: 503 },
  /** A model file or store entry is invalid (not GGUF, truncated, unsupported, bad id). */
  invalid_model_file: { status: 400 },
  /** A model id outside the documented character set (see src/models/model-id.ts). */
  invalid_model_id: { status: 400 },
  model_exists: { status: 409 },
  /** The disk lacks room for a download; the message and `details` carry the numbers and the path. */
  insufficient_storage: { status: 507 },
  /** A download failed: the server answered an error, or the network kept failing after the retries. */
  download_failed: { status: 502 },
  /** A downloaded file's SHA-256 or size differs from the one expected; nothing is installed. */
  checksum_mismatch: { status: 502 },
  /** The pull's source (or a redirect) is the box itself, link-local, or not allowed; see models.allowHosts. */
  pull_source_refused: { status: 403 },
  /** No pull with this id (finished pulls are kept for a while, then forgotten). */
  pull_not_found: { status: 404 },
  /** The file is already being downloaded: by another process, or in this one under another model id. */
  pull_in_progress: { status: 409 },
  /** The pull was cancelled before it completed; its partial file is deleted. */
  pull_cancelled: { status: 409 },
  /** No stored response with this id (`GET`/`DELETE /v1/responses/{id}`): never stored, deleted or expired. */
  response_not_found: { status: 404 },
  /** `previous_response_id` names no stored response: unknown, created with `store: false`, deleted or expired. */
  previous_response_not_found: { status: 404 },
  /** The caller may not use this route (e.g. /admin from a non-loopback address, or with an inference token). */
  forbidden: { status: 403 },
  /** A route that needs a bearer token got none, or one that is unknown or revoked. */
  invalid_api_key: { status: 401 },
  /** An admin route without a signed-in session or an admin token. */
  not_signed_in: { status: 401 },
  /** A wrong admin password or setup code. */
  invalid_credentials: { status: 401 },
  /** A state-changing admin request with a session cookie but without its session's `X-CSRF-Token`. */
  csrf_token_invalid: { status: 403 },
  /** The first-run setup is already done: the setup code no longer works, sign in instead. */
  setup_done: { status: 409 },
  /** Sign-in before the first-run setup has set an admin password. */
  setup_required: { status: 409 },
  /** Too many attempts (sign-in, setup code, pairing requests); `details.retryAfterSeconds` says when to retry. */
  rate_limited: { status: 429 },
  /**
   * The app's monthly budget cannot cover a request to a priced model; `details.budget` carries the figures
   * (month, budget, spent, remaining, the request's estimated minimum cost, currency). Local models are never
   * refused for it.
   */
  budget_exceeded: { status: 402 },
  /** No app token with this id. */
  token_not_found: { status: 404 },
  /** No pending pairing request with this id (unknown, already answered, or expired). */
  pairing_not_found: { status: 404 },
  /** Pairing, polling: the owner has not answered yet (RFC 8628 `authorization_pending`). */
  authorization_pending: { status: 400 },
  /** Pairing, polling: polled faster than `interval`; the interval grows by 5 s (RFC 8628 `slow_down`). */
  slow_down: { status: 400 },
  /** Pairing, polling: the owner denied the app (RFC 8628 `access_denied`). */
  access_denied: { status: 400 },
  /** Pairing, polling: the device code expired before approval (RFC 8628 `expired_token`). */
  expired_token: { status: 400 },
  /** Pairing, polling: the device code is unknown or its token was already issued (RFC 6749 `invalid_grant`). */
  invalid_grant: { status: 400 },
  internal_error: { status: 500 },
} as const satisfies Record<string, { status: number }>;

export type ErrorCode = keyof typeof errorCodes;

export interface ErrorDetails {
  /** The request parameter at fault, in the client's own naming (e.g. `messages[2].content`). */
  param?: string;
  retryAfterSeconds?: number;
  [key: string]: unknown;
}

export class ChaiboxError extends Error {
  override readonly name = "ChaiboxError";

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }

  get status(): number {
    return errorCodes[this.code].status;
  }

  /** The plain-data form that crosses process boundaries. */
  toJSON(): SerializedError {
    return { code: this.code, message: this.message, details: this.details };
  }

  static fromJSON(data: SerializedError): ChaiboxError {
    const code: ErrorCode = data.code in errorCodes ? (data.code as ErrorCode) : "internal_error";
    return new ChaiboxError(code, data.message, data.details ?? {});
  }
}

export interface SerializedError {
  code: string;
  message: string;
  details?: ErrorDetails;
}

export function isChaiboxError(error: unknown): error is ChaiboxError {
  return error instanceof ChaiboxError;
}
