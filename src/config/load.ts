/**
 * Loads the configuration: defaults → YAML file → `CHAIBOX_*` environment → flags (later wins), then
 * validates the result against the one schema. An invalid configuration is reported with every error at
 * once, so a user fixes their file in one go.
 */
import { readFile } from "node:fs/promises";
import { Value } from "@sinclair/typebox/value";
import type { TObject, TSchema } from "@sinclair/typebox";
import { ConfigSchema, type Config } from "./schema.js";
import { defaultDataDir } from "./paths.js";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly source: string,
    readonly errors: string[],
  ) {
    super(`invalid configuration (${source}):\n${errors.map((e) => `  - ${e}`).join("\n")}`);
  }
}

/** A partial configuration, as a file, the environment or flags give it. */
export type ConfigLayer = Record<string, unknown>;

export interface ConfigSources {
  /** YAML file path. */
  file?: string | undefined;
  /** When true a missing file is an error (it was named explicitly); otherwise it means defaults. */
  fileRequired?: boolean;
  /** Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags; they win over everything else. */
  flags?: ConfigLayer;
}

/** `inference.contextSize` → `CHAIBOX_INFERENCE_CONTEXT_SIZE`. */
export function envName(path: string[]): string {
  return "CHAIBOX_" + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()).join("_");
}

/** Every leaf key of the schema with its path, its schema and its environment variable name. */
export function configKeys(schema: TObject = ConfigSchema, prefix: string[] = []): { path: string[]; schema: TSchema; env: string }[] {
  const keys: { path: string[]; schema: TSchema; env: string }[] = [];
  for (const [key, sub] of Object.entries(schema.properties)) {
    const path = [...prefix, key];
    if (sub.type === "object" && "properties" in sub) keys.push(...configKeys(sub as TObject, path));
    else keys.push({ path, schema: sub, env: envName(path) });
  }
  return keys;
}

function parseJsonOr(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function fromEnv(env: NodeJS.ProcessEnv): ConfigLayer {
  const layer: ConfigLayer = {};
  for (const key of configKeys()) {
    const raw = env[key.env];
    if (raw === undefined || raw === "") continue;
    // A list (providers) comes as JSON; a value that is not JSON is kept as text and fails validation clearly.
    setPath(layer, key.path, key.schema.type === "array" ? parseJsonOr(raw) : raw);
  }
  return layer;
}

function setPath(target: ConfigLayer, path: string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== "object" || next === null) node[segment] = {};
    node = node[segment] as ConfigLayer;
  }
  node[path[path.length - 1] as string] = value;
}

function merge(base: ConfigLayer, layer: ConfigLayer): ConfigLayer {
  const out: ConfigLayer = { ...base };
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    const current = out[key];
    const bothObjects = typeof value === "object" && value !== null && !Array.isArray(value) && typeof current === "object" && current !== null;
    out[key] = bothObjects ? merge(current as ConfigLayer, value as ConfigLayer) : value;
  }
  return out;
}

async function fromFile(file: string, required: boolean): Promise<ConfigLayer> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && !required) return {};
    throw new ConfigError(file, [`cannot read the file: ${(error as Error).message}`]);
  }
  // The YAML parser is loaded only for a file that exists: a box without one never holds it in memory.
  const { parse: parseYaml, YAMLParseError } = await import("yaml");
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : "";
    throw new ConfigError(file, [`not valid YAML${where}: ${(error as Error).message.split("\n")[0]}`]);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data)) throw new ConfigError(file, ["the file must hold a mapping of keys to values"]);
  return data as ConfigLayer;
}

/** Validates a merged layer; strings from the environment and flags are converted to the schema's types. */
export function resolveConfig(layer: ConfigLayer, source = "configuration", env: NodeJS.ProcessEnv = process.env): Config {
  const converted = Value.Convert(ConfigSchema, structuredClone(layer));
  const withDefaults = Value.Default(ConfigSchema, converted) as ConfigLayer;
  const errors = [...Value.Errors(ConfigSchema, withDefaults)].map((e) => {
    const key = e.path.replace(/^\//, "").replaceAll("/", ".") || "(root)";
    const extra = e.schema.description && e.message.startsWith("Expected") ? ` — ${e.schema.description}` : "";
    return `${key}: ${e.message}${extra} (got ${JSON.stringify(e.value)})`;
  });
  if (errors.length > 0) throw new ConfigError(source, [...new Set(errors)]);
  const config = withDefaults as Config;
  if (config.dataDir === "") config.dataDir = defaultDataDir(env);
  return config;
}

/** Loads and validates the configuration from all sources. Throws {@link ConfigError} listing every error. */
export async function loadConfig(sources: ConfigSources = {}): Promise<Config> {
  const env = sources.env ?? process.env;
  const fileLayer = sources.file ? await fromFile(sources.file, sources.fileRequired ?? false) : {};
  const merged = merge(merge(fileLayer, fromEnv(env)), sources.flags ?? {});
  const source = sources.file ? `${sources.file}, environment and flags` : "environment and flags";
  return resolveConfig(merged, source, env);
}
