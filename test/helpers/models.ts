/**
 * Generated test models, cached in `<repo>/.cache/test-models/` (gitignored). The global setup generates the
 * default ones before any test file runs, so tests can use `testModelPath()` synchronously.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TemplateName } from "../../src/gguf/chat-templates.js";
import { makeTestModel, PRESET_REVISION, type PresetName, type QuantName } from "../../src/gguf/presets.js";

/**
 * Test models that change a preset: the tiny model with a real tool-calling chat template (its vocabulary holds
 * the template's special tokens, so node-llama-cpp resolves the family's own wrapper and tools are on), and
 * sizes of trained context.
 */
export const testModelVariants = {
  /** Qwen2.5's template on a qwen2-architecture tiny model: QwenChatWrapper, `<tool_call>` JSON. */
  "tiny-qwen": { preset: "tiny", template: "qwen2.5" },
  /** Llama 3.1's template: Llama3_1ChatWrapper. */
  "tiny-llama3.1": { preset: "tiny", template: "llama3.1" },
  /** tiny-qwen trained for 8192 tokens: the context Home Assistant asks for. */
  "tiny-8k": { preset: "tiny", template: "qwen2.5", contextLength: 8192 },
  /** tiny-qwen trained for 65536 tokens: more than `inference.contextSize: auto` gives unasked (32768). */
  "tiny-64k": { preset: "tiny", template: "qwen2.5", contextLength: 65_536 },
} as const satisfies Record<string, { preset: PresetName; template?: TemplateName; contextLength?: number }>;

export type TestPreset = "tiny" | "demo" | "0.5b" | "embed" | keyof typeof testModelVariants;

export interface TestModelSpec {
  preset: TestPreset;
  /** Default `q8_0`. */
  quant?: QuantName;
  /** Default 1. */
  seed?: number;
}

/** `<repo>/.cache/test-models`. */
export const testModelsDir = join(fileURLToPath(new URL("../..", import.meta.url)), ".cache", "test-models");

/** The models the global setup makes: tiny and demo, Q8_0, seed 1. */
export const defaultTestModels: readonly TestModelSpec[] = [{ preset: "tiny" }, { preset: "demo" }];

/**
 * Path of a cached test model. The name carries the preset revision, so a change to the generator never
 * serves a stale file. The file exists once `ensureTestModels` has made it (the global setup does for the
 * defaults: tiny and demo, Q8_0, seed 1).
 */
export function testModelPath(preset: TestPreset, quant: QuantName = "q8_0", seed = 1): string {
  return join(testModelsDir, `${preset}-${quant}-seed${seed}-r${PRESET_REVISION}.gguf`);
}

/** Generates the missing models of `specs` (default: tiny and demo, Q8_0, seed 1) and returns their paths. */
export async function ensureTestModels(specs: readonly TestModelSpec[] = defaultTestModels): Promise<string[]> {
  const paths: string[] = [];
  for (const { preset, quant = "q8_0", seed = 1 } of specs) {
    const path = testModelPath(preset, quant, seed);
    // The writer renames a complete file into place, so an existing path is always a whole model.
    if (!existsSync(path)) {
      const variant: { preset: PresetName; template?: TemplateName; contextLength?: number } =
        preset in testModelVariants ? testModelVariants[preset as keyof typeof testModelVariants] : { preset: preset as PresetName };
      await makeTestModel({ ...variant, quant, seed, out: path });
    }
    paths.push(path);
  }
  return paths;
}
