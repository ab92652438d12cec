/** `chaibox make-test-model`: writes a GGUF model with seeded random weights (tests, benchmarks, the demo). */
import { makeTestModel, presetNames, quantNames, type PresetName, type QuantName } from "../gguf/presets.js";
import { commonHelp, parse, parseInteger, UsageError } from "./args.js";
import { progressBar } from "./progress.js";


export async function makeTestModelCommand(args: string[]): Promise<void> {
  const { values } = parse(args, { preset: { type: "string" }, quant: { type: "string" }, seed: { type: "string" }, out: { type: "string" } }, false);
  if (values.help) {
    console.log(`Usage: chaibox make-test-model --preset P --out F [--quant Q] [--seed N]

Writes a valid GGUF model with random weights. The same seed gives the same bytes.

Options:
  --preset P        ${presetNames.join(", ")}
  --quant Q         ${quantNames.join(", ")} (default q8_0)
  --seed N          random seed (default 1)
  --out F           output file
${commonHelp}`);
    return;
  }
  const preset = values.preset;
  if (!preset || !(presetNames as readonly string[]).includes(preset)) throw new UsageError(`--preset must be one of ${presetNames.join(", ")}`);
  const quant = values.quant ?? "q8_0";
  if (!(quantNames as readonly string[]).includes(quant)) throw new UsageError(`--quant must be one of ${quantNames.join(", ")}`);
  if (!values.out) throw new UsageError("--out is required");
  const seed = parseInteger("seed", values.seed) ?? 1;
  const bar = progressBar(`Writing ${preset} ${quant}`);
  const result = await makeTestModel(
    { preset: preset as PresetName, quant: quant as QuantName, seed, out: values.out },
    (p) => bar.update(p.bytesWritten, p.totalBytes),
  );
  bar.finish();
  console.log(`Wrote ${result.path} (${preset}, ${quant}, seed ${seed}, ${(result.sizeBytes / 1e6).toFixed(1)} MB) in ${(result.elapsedMs / 1000).toFixed(1)} s.`);
}
