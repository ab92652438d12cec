/**
 * The app side of pairing (docs/chai-v1.md §7, RFC 8628): request, show the code, poll at the interval the
 * server gave, add 5 seconds for every `slow_down`, stop on the owner's answer or expiry.
 */
import { ChaiError, errorFrom } from "./errors.js";
import type { ChaiPairingGrant } from "./types.js";

/** Options of `pair()`. */
export interface PairOptions {
  /** The app's name, shown to the box's owner (1–100 characters). */
  appName: string;
  /** A stable id of the app, such as a reverse domain name. Default: none. */
  appId?: string;
  /** Called once with the code to show the person (and the page where they approve it). */
  onCode: (code: { userCode: string; verificationUri: string; verificationUriComplete: string; expiresIn: number }) => void | Promise<void>;
  /** Stops the flow (and withdraws the request on the box). Default: none. */
  signal?: AbortSignal;
  /** Called after each poll that did not end the flow, with its answer's code. Default: nothing. */
  onPoll?: (code: "authorization_pending" | "slow_down") => void;
  /**
   * Seconds to wait before the first poll and between polls, instead of the server's `interval`. For tests of
   * servers' pacing: a shorter wait is answered `slow_down`. Default: the server's `interval`.
   */
  intervalSeconds?: number;
}

/** RFC 8628 §3.5: every `slow_down` adds 5 seconds to the polling interval. */
const SLOW_DOWN_STEP_S = 5;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

async function post(origin: string, path: string, body: object): Promise<Response> {
  return fetch(`${origin}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
}

/** Withdraws a pairing request; a request the server no longer knows is fine. */
export async function cancelPairing(origin: string, deviceCode: string): Promise<void> {
  const response = await post(origin, "/chai/v1/pairings/cancel", { device_code: deviceCode });
  await response.body?.cancel();
}

/** Runs the whole flow against the server at `origin` and returns the token. */
export async function runPairing(origin: string, options: PairOptions): Promise<string> {
  const started = await post(origin, "/chai/v1/pairings", { app_name: options.appName, ...(options.appId !== undefined && { app_id: options.appId }) });
  if (!started.ok) throw await errorFrom(started);
  const grant = (await started.json()) as ChaiPairingGrant;
  await options.onCode({
    userCode: grant.user_code,
    verificationUri: grant.verification_uri,
    verificationUriComplete: grant.verification_uri_complete,
    expiresIn: grant.expires_in,
  });
  let intervalS = options.intervalSeconds ?? grant.interval;
  const deadline = Date.now() + grant.expires_in * 1000;
  try {
    for (;;) {
      await sleep(intervalS * 1000, options.signal);
      const polled = await post(origin, "/chai/v1/pairings/token", { device_code: grant.device_code });
      if (polled.ok) return ((await polled.json()) as { access_token: string }).access_token;
      const error = await errorFrom(polled);
      // Never faster than the server's interval, and 5 s slower for every slow_down (RFC 8628 §3.5).
      if (error.code === "slow_down") intervalS = Math.max(intervalS, grant.interval) + SLOW_DOWN_STEP_S;
      else if (error.code !== "authorization_pending") throw error;
      options.onPoll?.(error.code);
      if (Date.now() + intervalS * 1000 > deadline) throw new ChaiError(400, "expired_token", "The pairing request expired before the owner approved it.");
    }
  } catch (error) {
    if (options.signal?.aborted === true) await cancelPairing(origin, grant.device_code).catch(() => undefined);
    throw error;
  }
}
