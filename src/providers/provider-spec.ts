/**
 * What a provider is: an upstream this box sends requests to, another Chai box (`chai`) or any
 * OpenAI-compatible server (`openai`: vLLM, llama-server, LocalAI, a cloud API). Pure: validation and the
 * URLs its API lives at.
 */
import { ChaiboxError } from "../errors.js";

export type ProviderKind = "chai" | "openai";

/** USD per million tokens. */
export interface ProviderPrices {
  inputPerMillion: number;
  outputPerMillion: number;
}

export interface ProviderSpec {
  /** The prefix of its models' ids (`<id>/<model>`): lower-case letters, digits and dashes. */
  id: string;
  kind: ProviderKind;
  /** Shown to people. */
  name: string;
  /** chai: the box's origin; openai: the API's base URL (`…/v1`), without a trailing slash. */
  url: string;
  /** Never returned by any API, logged, or put in an error. Absent while a Chai box's pairing is pending. */
  apiKey?: string | undefined;
  prices?: ProviderPrices | undefined;
  /** The YAML configuration (read-only from the API) or the admin API and Settings screen. */
  source: "config" | "admin";
}

export const PROVIDER_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** Checks an id; `param` names the field at fault. */
export function checkProviderId(id: string, param = "id"): string {
  if (!PROVIDER_ID_PATTERN.test(id)) {
    throw new ChaiboxError("invalid_request", `A provider id is 1-32 lower-case letters, digits and dashes, starting with a letter or digit: '${id.slice(0, 40)}' is not.`, { param });
  }
  return id;
}

/**
 * The URL in the form kept: http or https, no user name or password (a key goes in `api_key`, where it is
 * guarded), no query or fragment, no trailing slash. A Chai box keeps its origin only.
 */
export function normalizeProviderUrl(raw: string, kind: ProviderKind, param = "url"): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ChaiboxError("invalid_request", `'${raw.slice(0, 200)}' is not a URL; give one such as http://study.local:8080.`, { param });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ChaiboxError("invalid_request", "A provider's URL starts with http:// or https://.", { param });
  if (url.username !== "" || url.password !== "") throw new ChaiboxError("invalid_request", "Put the provider's key in api_key, not in its URL.", { param });
  if (url.search !== "" || url.hash !== "") throw new ChaiboxError("invalid_request", "A provider's URL has no query or fragment.", { param });
  if (kind === "chai") return url.origin;
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}

/** The base of the OpenAI-compatible API: a Chai box serves it under /v1. */
export function apiBase(spec: Pick<ProviderSpec, "kind" | "url">): string {
  return spec.kind === "chai" ? `${spec.url}/v1` : spec.url;
}

/** Separates a provider's model id `<provider>/<model>` into its parts; undefined for an id without a provider. */
export function splitModelId(modelId: string): { provider: string; model: string } | undefined {
  const slash = modelId.indexOf("/");
  if (slash <= 0) return undefined;
  return { provider: modelId.slice(0, slash), model: modelId.slice(slash + 1) };
}
