/** The shape of one `chaibox models` action (list, pull, add, rm, recommend), shared by the files that define them. */
import type { Config } from "../config/schema.js";

/** One `models` action: its options (node:util parseArgs form), its help lines, and what it does. */
export interface ModelsAction {
  options: Record<string, { type: "string" | "boolean"; short?: string }>;
  /** Lines for the action list in `models --help`. */
  usage: string;
  run(context: ModelsActionContext): Promise<void>;
}

export interface ModelsActionContext {
  /** Positionals after the action name. */
  args: string[];
  values: Record<string, string | boolean | undefined>;
  config: Config;
  /** Prints `data` as JSON with --json, else `text`. */
  print: (data: unknown, text: string) => void;
}
