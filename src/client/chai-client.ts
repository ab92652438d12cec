/**
 * A typed client of one Chai server (docs/chai-v1.md): its discovery document, its models with their `chai`
 * metadata, model selection and pairing. Chat itself goes through the OpenAI client the app already has,
 * pointed at {@link ChaiClient.baseURL} with {@link ChaiClient.token}.
 */
import { errorFrom } from "./errors.js";
import { runPairing, type PairOptions } from "./pair.js";
import type { ChaiDiscovery, ChaiModel, ChaiPreference, ChaiRequirements, ChaiSelection } from "./types.js";

/** Options of {@link ChaiClient}. */
export interface ChaiClientOptions {
  /** A bearer token (from pairing or `chaibox token create`). Default: none; {@link ChaiClient.pair} sets one. */
  token?: string;
  /** How long one request may take, in milliseconds. Default 30000. */
  timeoutMs?: number;
}

/** The origin of a URL, without a trailing slash: `http://kitchen.local:8080`. */
function originOf(url: string): string {
  return new URL(url).origin;
}

/**
 * Reads a server's discovery document (`GET /.well-known/chai`, public). Throws a ChaiError for an error
 * answer and an Error for an answer that is not a discovery document.
 */
export async function wellKnown(url: string, options: { timeoutMs?: number } = {}): Promise<ChaiDiscovery> {
  const response = await fetch(`${originOf(url)}/.well-known/chai`, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
  if (!response.ok) throw await errorFrom(response);
  const body = (await response.json()) as Partial<ChaiDiscovery> | null;
  if (typeof body?.chai_version !== "string" || typeof body.api_base !== "string") throw new Error(`${url} did not answer a Chai discovery document`);
  return body as ChaiDiscovery;
}

/** One Chai server. */
export class ChaiClient {
  /** The server's origin. */
  readonly origin: string;
  /** The token the client sends; set by {@link pair}. */
  token: string | undefined;
  private readonly timeoutMs: number;
  private apiBase = "/v1";

  constructor(url: string, options: ChaiClientOptions = {}) {
    this.origin = originOf(url);
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Reads the discovery document of this server (and takes its `api_base` for later calls). */
  async wellKnown(): Promise<ChaiDiscovery> {
    const document = await wellKnown(this.origin, { timeoutMs: this.timeoutMs });
    this.apiBase = document.api_base;
    return document;
  }

  /** The URL to give an OpenAI client as `baseURL`. */
  get baseURL(): string {
    return `${this.origin}${this.apiBase}`;
  }

  /** The installed models, each with its `chai` metadata. */
  async models(): Promise<ChaiModel[]> {
    const body = await this.request<{ data: ChaiModel[] }>("GET", `${this.apiBase}/models`);
    return body.data;
  }

  /** The models that meet `requirements`, best first for `preference` (default `quality`), and the rest with why. */
  async select(requirements: ChaiRequirements = {}, preference: ChaiPreference = "quality"): Promise<ChaiSelection> {
    return this.request<ChaiSelection>("POST", "/chai/v1/select", { requirements, preference });
  }

  /**
   * Pairs this app with the box (RFC 8628 device flow, §7): asks for a pairing, hands the user code to
   * `onCode` for the app to show, polls at the server's interval (5 seconds more after each `slow_down`) until
   * the owner answers, and returns the token, which the client then uses. Throws a ChaiError
   * `access_denied` or `expired_token` when the owner denies or does not answer in time.
   */
  async pair(options: PairOptions): Promise<string> {
    const token = await runPairing(this.origin, options);
    this.token = token;
    return token;
  }

  /** A JSON request with the token; throws a ChaiError for an error answer. */
  async request<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${this.origin}${path}`, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw await errorFrom(response);
    return (await response.json()) as T;
  }
}
