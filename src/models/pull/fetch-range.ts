/**
 * One HTTP request of a download: a GET from an offset, following redirects by hand so that credentials
 * meant for one origin (the Hugging Face token) are never sent to another (its CDN), whatever the fetch
 * implementation does by default.
 */
import { version } from "../../version.js";
import type { SourcePolicy } from "./source-policy.js";

export interface RangeRequest {
  url: string;
  /** Sent to `url`'s origin only; dropped once a redirect leaves it. */
  headers: Record<string, string>;
  /** First byte wanted; 0 asks for the whole file. */
  offset: number;
  /** `If-Range` value (a strong ETag or a Last-Modified date): the server sends the whole file if it changed. */
  ifRange?: string;
  signal: AbortSignal;
  /** Checked before each request, redirects included. Default: none (every host). */
  policy?: SourcePolicy | undefined;
}

const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Sends the request and returns the first non-redirect response. Throws on network errors and redirect loops. */
export async function fetchRange(request: RangeRequest): Promise<Response> {
  const origin = new URL(request.url).origin;
  let url = request.url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = {
      // Ranges count bytes of the stored file; a compressed transfer would make offsets meaningless.
      "accept-encoding": "identity",
      "user-agent": `chaibox/${version}`,
      ...(new URL(url).origin === origin ? request.headers : {}),
    };
    if (request.offset > 0) {
      headers.range = `bytes=${request.offset}-`;
      if (request.ifRange !== undefined) headers["if-range"] = request.ifRange;
    }
    await request.policy?.check(new URL(url), hop > 0);
    const response = await fetch(url, { headers, redirect: "manual", signal: request.signal });
    const location = response.headers.get("location");
    if (!REDIRECT_STATUSES.has(response.status) || location === null) return response;
    await response.body?.cancel().catch(() => undefined);
    url = new URL(location, url).href;
  }
  throw new Error(`more than ${MAX_REDIRECTS} redirects`);
}

/** `Content-Range: bytes <start>-<end>/<total>` (or `bytes` + `*` + `/<total>` for a 416); undefined parts when absent. */
export function parseContentRange(value: string | null): { start?: number; total?: number } {
  const match = /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(value?.trim() ?? "");
  if (!match) return {};
  return {
    ...(match[1] !== undefined && { start: Number(match[1]) }),
    ...(match[2] !== undefined && match[2] !== "*" && { total: Number(match[2]) }),
  };
}

/** The validator a resume can trust: a strong ETag, else Last-Modified. Weak ETags do not qualify for If-Range. */
export function validatorOf(response: Response): { etag?: string; lastModified?: string } {
  const etag = response.headers.get("etag");
  const lastModified = response.headers.get("last-modified");
  return {
    ...(etag !== null && !etag.startsWith("W/") && { etag }),
    ...(lastModified !== null && { lastModified }),
  };
}
