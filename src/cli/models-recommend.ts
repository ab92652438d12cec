/**
 * `chaibox models recommend`: the catalog and installed models that fit this box (or a saved snapshot),
 * best first, each with how it would run, and why bigger ones were skipped.
 */
import { resolvePaths } from "../config/paths.js";
import { InsightsProbe } from "../engine/native/client.js";
import { describeHardware } from "../hardware/describe.js";
import { loadCatalog } from "../models/catalog.js";
import type { FitChoice, FitResult } from "../models/planning/fit.js";
import { choiceRef as ref, recommendModels } from "../models/planning/recommend.js";
import { preselect } from "../models/planning/preselect.js";
import { ModelStore } from "../models/store.js";
import { formatSize } from "./format.js";
import { hardwareFor } from "./hardware-option.js";
import type { ModelsAction } from "./models-action.js";

export const recommendAction: ModelsAction = {
  options: { hardware: { type: "string" }, catalog: { type: "string" } },
  usage:
    "  models recommend [--hardware F]  the models that fit this box, best first, and why bigger ones do not\n" +
    "                                   (F: a snapshot from 'chaibox hw --json', to ask for another machine)",
  async run({ values, config, print }) {
    const snapshot = await hardwareFor(typeof values.hardware === "string" ? values.hardware : undefined, config);
    const catalog = await loadCatalog(typeof values.catalog === "string" ? values.catalog : undefined);
    const store = await ModelStore.open(config.dataDir);
    const probe = new InsightsProbe(resolvePaths(config.dataDir).cacheDir);
    const installed = await store.list();
    // A file GgufInsights cannot read is still listed by `models list`; it just gets no recommendation.
    const result = await recommendModels({ catalog, installed, insights: (path, sha256) => probe.measure(path, sha256), snapshot, inference: config.inference });
    print({ hardware: snapshot, ...result }, [...describeHardware(snapshot), "", ...report(result)].join("\n"));
  },
};

function section(title: string, choices: FitChoice[]): string[] {
  if (choices.length === 0) return [];
  const lines = [title];
  choices.forEach((c, i) => {
    const installed = c.installedId !== undefined ? " (installed)" : "";
    lines.push(`  ${i + 1}. ${c.name} — ${ref(c)}, ${formatSize(c.sizeBytes)}${installed}`);
    lines.push(`     ${c.reason}`);
  });
  return [...lines, ""];
}

/** The human-readable report: the budget, recommendations by kind, the skipped models, the next step. */
export function report(result: FitResult): string[] {
  const { budget } = result;
  const gpu = budget.gpu ? `, ${formatSize(budget.vramBytes)} of GPU memory${budget.unified ? " (shared with the RAM)" : ""}` : "";
  const lines = [`Memory for models: ${formatSize(budget.ramBytes)} of RAM${gpu}`, ""];
  if (result.message !== undefined) return [...lines, result.message];
  const chat = result.choices.filter((c) => c.kind === "chat");
  lines.push(...section("Chat models, best first:", chat));
  lines.push(...section("Embedding models:", result.choices.filter((c) => c.kind === "embedding")));
  const top = chat[0];
  const first = preselect(result);
  const bigger = result.skipped.filter((s) => top === undefined || s.parameters > top.parameters);
  if (bigger.length > 0) {
    lines.push("Skipped:");
    for (const s of bigger) lines.push(`  ${s.name} — ${s.reason}`);
    lines.push("");
  }
  if (first) lines.push(`Install the one that suits this box with: chaibox models pull ${ref(first)}`);
  else if (top?.installedId !== undefined) lines.push(`Ready to use: ${top.installedId}`);
  return lines;
}
