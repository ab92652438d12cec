/**
 * Why a download failed, in words a person on the setup page understands: "the box cannot reach the
 * internet", "huggingface.co answered 404 Not Found", rather than "fetch failed (ECONNREFUSED)". Pure.
 */

/** The host of a URL, or the URL itself when it does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Network error codes that mean the box has no way out, not that one server is down. */
const OFFLINE = new Set(["ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ENETDOWN"]);

/** A network error (undici's `fetch failed` with a system error as its cause) as words. */
export function networkWords(error: unknown, url: string): string {
  const cause = (error as { cause?: { message?: unknown; code?: unknown } }).cause;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  const host = hostOf(url);
  if (code !== undefined && OFFLINE.has(code)) return `the box cannot reach the internet (${host} cannot be found or reached)`;
  if (code === "ECONNREFUSED") return `${host} refused the connection (is the server up?)`;
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return `the connection to ${host} broke off`;
  if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT") return `${host} did not answer in time (is the box online?)`;
  const message = error instanceof Error ? error.message : String(error);
  return cause && typeof cause.message === "string" ? `${message} (${cause.message})` : message;
}

/** An HTTP answer as words: "huggingface.co answered 404 Not Found". */
export function statusWords(url: string, status: string): string {
  return `${hostOf(url)} answered ${status}`;
}
