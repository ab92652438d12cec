/** `chaibox make-test-model`: writes a GGUF model with seeded random weights (tests, benchmarks, the demo). */
import { templateNames, type TemplateName } from "../gguf/chat-templates.js";
import { makeTestModel, presetNames, quantNames, type PresetName, type QuantName } from "../gguf/presets.js";
import { commonHelp, parse, parseInteger, UsageError } from "./args.js";
import { progressBar } from "./progress.js";


export async function makeTestModelCommand(args: string[]): Promise<void> {
  const { values } = parse(
    args,
    { preset: { type: "string" }, quant: { type: "string" }, seed: { type: "string" }, out: { type: "string" }, template: { type: "string" }, "context-length": { type: "string" } },
    false,
  );
  if (values.help) {
    console.log(`Usage: chaibox make-test-model --preset P --out F [--quant Q] [--seed N] [--template T] [--context-length N]

Writes a valid GGUF model with random weights. The same options give the same bytes.

Options:
  --preset P          ${presetNames.join(", ")}
  --quant Q           ${quantNames.join(", ")} (default q8_0)
  --seed N            random seed (default 1)
  --template T        chat template: ${templateNames.join(", ")} (default chatml). qwen2.5 and llama3.1 are
                      those families' real tool-calling templates: the model reports tool calling
  --context-length N  the trained context length written to the file (default: the preset's)
  --out F             output file
${commonHelp}`);
    return;
  }
  const preset = values.preset;
  if (!preset || !(presetNames as readonly string[]).includes(preset)) throw new UsageError(`--preset must be one of ${presetNames.join(", ")}`);
  const quant = values.quant ?? "q8_0";
  if (!(quantNames as readonly string[]).includes(quant)) throw new UsageError(`--quant must be one of ${quantNames.join(", ")}`);
  const template = values.template ?? "chatml";
  if (!(templateNames as readonly string[]).includes(template)) throw new UsageError(`--template must be one of ${templateNames.join(", ")}`);
  if (!values.out) throw new UsageError("--out is required");
  const seed = parseInteger("seed", values.seed) ?? 1;
  const contextLength = parseInteger("context-length", values["context-length"]);
  if (contextLength !== undefined && (contextLength < 64 || contextLength > 2 ** 24)) throw new UsageError(`--context-length must be from 64 to ${2 ** 24}`);
  const bar = progressBar(`Writing ${preset} ${quant}`);
  const result = await makeTestModel(
    {
      preset: preset as PresetName,
      quant: quant as QuantName,
      seed,
      template: template as TemplateName,
      ...(contextLength !== undefined && { contextLength }),
      out: values.out,
    },
    (p) => bar.update(p.bytesWritten, p.totalBytes),
  );
  bar.finish();
  console.log(`Wrote ${result.path} (${preset}, ${quant}, seed ${seed}, ${template} template, ${(result.sizeBytes / 1e6).toFixed(1)} MB) in ${(result.elapsedMs / 1000).toFixed(1)} s.`);
}
