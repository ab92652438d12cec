/** Shared command-line plumbing: option parsing, the options every command takes, and usage errors. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { loadConfig, type ConfigLayer } from "../config/load.js";
import { defaultConfigFile } from "../config/paths.js";
import type { Config } from "../config/schema.js";

/** A mistake in how a command was called: printed as one line with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const commonOptions = {
  "data-dir": { type: "string" },
  config: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

export const commonHelp = `  --data-dir D      where models and state live (env CHAIBOX_DATA_DIR)
  --config F        YAML configuration file (env CHAIBOX_CONFIG)
  -h, --help        show this help`;

export function parse<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args, options: { ...commonOptions, ...options }, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Loads the configuration the way every command does: file → environment → the command's flags. */
export async function configFrom(values: { config?: string | undefined; "data-dir"?: string | undefined }, flags: ConfigLayer = {}): Promise<Config> {
  const file = values.config ?? defaultConfigFile();
  const layer: ConfigLayer = { ...flags };
  if (values["data-dir"] !== undefined) layer.dataDir = values["data-dir"];
  return loadConfig({ file, fileRequired: values.config !== undefined || process.env.CHAIBOX_CONFIG !== undefined, flags: layer });
}

export function parseInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got '${value}'`);
  return n;
}
