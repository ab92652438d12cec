/**
 * What a pull reference names, resolved to the URL to download and the facts known before a byte arrives.
 * A reference is one of:
 *
 * - a catalog name: `qwen3-4b` (its first, best file) or `qwen3-4b:Q4_K_M`;
 * - a Hugging Face file: `hf:<owner>/<repo>/<path/file.gguf>` or `hf:<owner>/<repo>:<revision>/<file>`,
 *   fetched from `<hfEndpoint>/<owner>/<repo>/resolve/<revision, default main>/<file>`;
 * - an `http://` or `https://` URL.
 *
 * Pure except for loading the catalog, which the caller supplies.
 */
import { ChaiboxError } from "../../errors.js";
import { findCatalogFile, isCatalogRef, type Catalog } from "../catalog.js";
import type { ModelSource } from "../manifest.js";
import { modelIdFromFileName } from "../model-id.js";

/** A resolved pull reference. */
export interface PullSource {
  /** The reference as the user wrote it. */
  ref: string;
  /** Where the file is downloaded from. */
  url: string;
  /** Exact size in bytes when the catalog gives it; the download must have it. */
  expectedSize?: number;
  /** An estimated size (a catalog entry without a published size): for the free-space check only. */
  sizeHint?: number;
  /** Lowercase hex SHA-256 when the catalog gives it. */
  sha256?: string;
  /** The id the model is installed under unless the caller names one. */
  defaultModelId: string;
  /** Recorded in the installed model's manifest. */
  source: ModelSource;
  /** Request headers for `url`'s origin only (the Hugging Face token); never sent after a cross-origin redirect. */
  headers: Record<string, string>;
}

export interface SourceOptions {
  /** Base URL of Hugging Face or a mirror. Default `https://huggingface.co`. */
  hfEndpoint?: string;
  /** Sent as `Authorization: Bearer` to `hfEndpoint` only. Default: none. */
  hfToken?: string;
  /** Loads the catalog; called only for catalog names. Default: none (catalog names are refused). */
  catalog?: () => Promise<Catalog>;
}

/** A parsed `hf:` URI. */
export interface HfFileRef {
  owner: string;
  repo: string;
  /** Default `main`. */
  revision: string;
  /** Path of the file inside the repository, `/`-separated. */
  file: string;
}

export const DEFAULT_HF_ENDPOINT = "https://huggingface.co";

const HF_PATTERN = /^hf:([^/\s:]+)\/([^/\s:]+)(?::([^/\s]+))?\/(\S+)$/;

/** Parses `hf:<owner>/<repo>[:<revision>]/<path/file>`, or returns undefined when `ref` is not one. */
export function parseHfUri(ref: string): HfFileRef | undefined {
  const match = HF_PATTERN.exec(ref);
  if (!match) return undefined;
  const [, owner = "", repo = "", revision = "main", file = ""] = match;
  // A '..' segment would walk out of the repository on the endpoint; an empty one is a typo.
  if (file.split("/").some((segment) => segment === "" || segment === "." || segment === "..")) return undefined;
  return { owner, repo, revision, file };
}

/** `<endpoint>/<owner>/<repo>/resolve/<revision>/<file>`, each segment URL-encoded. */
export function hfResolveUrl(endpoint: string, ref: HfFileRef): string {
  const path = [ref.owner, ref.repo, "resolve", ref.revision, ...ref.file.split("/")].map(encodeURIComponent).join("/");
  return `${endpoint.replace(/\/+$/, "")}/${path}`;
}

/** The headers a request to `url` carries: the token only when `url` is on the Hugging Face endpoint. */
export function authHeaders(url: string, options: SourceOptions): Record<string, string> {
  if (!options.hfToken) return {};
  const endpoint = new URL(options.hfEndpoint ?? DEFAULT_HF_ENDPOINT);
  const target = new URL(url);
  const samePrefix = target.origin === endpoint.origin && target.pathname.startsWith(endpoint.pathname.replace(/\/?$/, "/"));
  return samePrefix ? { authorization: `Bearer ${options.hfToken}` } : {};
}

/** A URL without its query and fragment, for messages and logs (a query may carry a signature). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}

/**
 * Resolves a pull reference.
 * @throws ChaiboxError `invalid_request` for a reference of no known form, `model_not_found` for a name the
 *   catalog lacks, `invalid_model_id` when no id can be made from a URL's file name.
 */
export async function resolvePullSource(ref: string, options: SourceOptions = {}): Promise<PullSource> {
  const trimmed = ref.trim();
  if (trimmed.startsWith("hf:")) return fromHf(trimmed, trimmed, options);
  if (/^https?:\/\//i.test(trimmed)) return fromUrl(trimmed, options);
  if (isCatalogRef(trimmed)) return fromCatalog(trimmed, options);
  throw unknownRef(ref);
}

function fromHf(uri: string, ref: string, options: SourceOptions, facts: Partial<PullSource> = {}): PullSource {
  const hf = parseHfUri(uri);
  if (!hf) throw unknownRef(uri);
  const url = hfResolveUrl(options.hfEndpoint ?? DEFAULT_HF_ENDPOINT, hf);
  return {
    ref,
    url,
    defaultModelId: modelIdFromFileName(hf.file),
    source: { type: "hf", ref: uri },
    headers: authHeaders(url, options),
    ...facts,
  };
}

function fromUrl(ref: string, options: SourceOptions): PullSource {
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    throw unknownRef(ref);
  }
  const last = url.pathname.split("/").filter((s) => s !== "").pop() ?? "";
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  return {
    ref,
    url: url.href,
    defaultModelId: modelIdFromFileName(name === "" ? url.hostname : name),
    source: { type: "url", ref: url.href },
    headers: authHeaders(url.href, options),
  };
}

async function fromCatalog(ref: string, options: SourceOptions): Promise<PullSource> {
  if (!options.catalog) throw new ChaiboxError("model_not_found", `'${ref}' names a catalog model, and no catalog is configured.`);
  const catalog = await options.catalog();
  const { entry, file } = findCatalogFile(catalog, ref);
  // The entry's first file is what the bare name pulls, so it gets the bare id; another quantization is a tag.
  const defaultModelId = file === entry.files[0] ? entry.id : `${entry.id}:${file.quant.toLowerCase()}`;
  const facts = {
    // An estimated size only sizes the free-space check; the download is held to what the server announces.
    ...(file.sizeEstimated === true ? { sizeHint: file.sizeBytes } : { expectedSize: file.sizeBytes }),
    ...(file.sha256 !== undefined && { sha256: file.sha256 }),
    defaultModelId,
    source: { type: "catalog", ref: `${entry.id}:${file.quant}` },
  };
  if (file.uri.startsWith("hf:")) return fromHf(file.uri, ref, options, facts);
  return { ...fromUrl(file.uri, options), ...facts, ref };
}

function unknownRef(ref: string): ChaiboxError {
  return new ChaiboxError(
    "invalid_request",
    `'${ref}' is not a model reference: use a catalog name (qwen3-4b or qwen3-4b:Q4_K_M), ` +
      "hf:<owner>/<repo>/<file.gguf> (optionally hf:<owner>/<repo>:<revision>/<file.gguf>), or an http(s) URL.",
    { param: "ref" },
  );
}
