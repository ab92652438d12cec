/**
 * Why a download failed, in words a person on the setup page understands: "the box cannot reach the
 * internet", "huggingface.co answered HTTP 404", rather than "fetch failed (ECONNREFUSED)". Pure.
 */

/** The host of a URL, or the URL itself when it does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * Network error codes that mean the box has no way out at all (no name service, no route to any network),
 * not that one server is down.
 */
const OFFLINE = new Set(["ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "ENETDOWN"]);

/**
 * A network error (undici's `fetch failed` with a system error as its cause) as words. Beyond "offline",
 * every failure reads the same: telling a refused connection from a reset or a timeout would let a pull
 * probe which hosts and ports answer.
 */
export function networkWords(error: unknown, url: string): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  const host = hostOf(url);
  if (code !== undefined && OFFLINE.has(code)) return `the box cannot reach the internet (${host} cannot be found or reached)`;
  return `the connection to ${host} failed (is the server up and reachable from the box?)`;
}

/** An HTTP answer as words: "huggingface.co answered HTTP 404". */
export function statusWords(url: string, status: string): string {
  return `${hostOf(url)} answered ${status}`;
}
