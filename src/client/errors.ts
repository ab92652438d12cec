/** The error a `chaibox/client` call throws when the server answers with an error (docs/chai-v1.md §4). */
export class ChaiError extends Error {
  override readonly name = "ChaiError";

  constructor(
    /** The HTTP status. */
    readonly status: number,
    /** The envelope's `code`, or null (also when the answer had no Chai envelope). */
    readonly code: string | null,
    message: string,
    /** The envelope's `param`. */
    readonly param: string | null = null,
    /** `Retry-After` in seconds, when the server sent one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

interface Envelope {
  error?: { message?: unknown; code?: unknown; param?: unknown };
}

/** The ChaiError for a failed response, from its envelope when it has one. */
export async function errorFrom(response: Response): Promise<ChaiError> {
  const text = await response.text().catch(() => "");
  let envelope: Envelope = {};
  try {
    envelope = JSON.parse(text) as Envelope;
  } catch {
    // Not JSON: the status and the start of the text say what happened.
  }
  const error = envelope.error;
  const retry = Number(response.headers.get("retry-after"));
  return new ChaiError(
    response.status,
    typeof error?.code === "string" ? error.code : null,
    typeof error?.message === "string" ? error.message : `HTTP ${response.status}: ${text.slice(0, 200)}`,
    typeof error?.param === "string" ? error.param : null,
    Number.isFinite(retry) && retry > 0 ? retry : undefined,
  );
}
