/** The bench's results: medians, ratios, targets, the printed table and the JSON written to last.json. */
import type { RoundSample } from "./measure.js";
import { median } from "./workload.js";

/** Medians of one side's rounds. */
export interface SideSummary {
  ttftMs: number;
  promptTps: number;
  promptTokens: number;
  genTps: number;
  aggregateTps: number;
  /** Process CPU time spent over all measured rounds (ms): the bench process, or chaibox's API and runner. */
  cpuMs: Record<string, number>;
  /** Tokens generated over all measured rounds (prompt runs included), for CPU per token. */
  tokens: number;
  rounds: RoundSample[];
}

export interface Target {
  name: string;
  value: number;
  limit: string;
  pass: boolean;
}

export interface BenchResult {
  date: string;
  durationS: number;
  preset: string;
  model: { path: string; sizeBytes: number; quant: string; seed: number };
  machine: { cpu: string; cores: number; loadAvgStart: number[]; loadAvgEnd: number[]; gpu: string | false };
  settings: { threads: number; parallel: number; contextSize: number; tokens: number; rounds: number; mode: "alternating" | "sequential"; chaibox: "tsx" | "build" };
  baseline: SideSummary;
  chaibox: SideSummary;
  rss: { apiPid: number; apiBytes: number | null; runnerPid: number | null; runnerBytes: number | null };
  ratios: { genTps: number; aggregateTps: number; promptTps: number; ttft: number; ttftOverheadMs: number };
  targets: Target[];
  notes: string[];
}

/** Summarizes one side's rounds by their medians. */
export function summarize(rounds: RoundSample[], cpuMs: Record<string, number>, tokens: number): SideSummary {
  return {
    ttftMs: median(rounds.map((r) => r.ttftMs)),
    promptTps: median(rounds.map((r) => r.promptTps)),
    promptTokens: median(rounds.map((r) => r.promptTokens)),
    genTps: median(rounds.map((r) => r.genTps)),
    aggregateTps: median(rounds.map((r) => r.aggregateTps)),
    cpuMs,
    tokens,
    rounds,
  };
}

export function ratiosOf(baseline: SideSummary, chaibox: SideSummary): BenchResult["ratios"] {
  return {
    genTps: chaibox.genTps / baseline.genTps,
    aggregateTps: chaibox.aggregateTps / baseline.aggregateTps,
    promptTps: chaibox.promptTps / baseline.promptTps,
    ttft: chaibox.ttftMs / baseline.ttftMs,
    ttftOverheadMs: chaibox.ttftMs - baseline.ttftMs,
  };
}

export const MB = 1024 * 1024;

export function targetsOf(ratios: BenchResult["ratios"], apiBytes: number | null): Target[] {
  const api = apiBytes === null ? Number.NaN : apiBytes / MB;
  return [
    { name: "single-stream generation", value: ratios.genTps, limit: "≥ 0.95×", pass: ratios.genTps >= 0.95 },
    { name: "TTFT overhead", value: ratios.ttftOverheadMs, limit: "≤ 15 ms", pass: ratios.ttftOverheadMs <= 15 },
    { name: "API idle RSS", value: api, limit: "≤ 120 MB", pass: api <= 120 },
  ];
}

function fmt(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "—" : value.toFixed(digits);
}

function mark(target: Target | undefined): string {
  if (!target) return "";
  return `${target.limit.padEnd(9)} ${Number.isFinite(target.value) && target.pass ? "PASS" : "FAIL"}`;
}

/** The printed report: settings, the comparison table, CPU cost, per-round figures and notes. */
export function formatReport(r: BenchResult): string {
  const { baseline: b, chaibox: c, ratios } = r;
  const [genTarget, ttftTarget, rssTarget] = r.targets;
  const s = r.settings;
  const rows: string[][] = [
    ["Measure", "Baseline", "chaibox", "Ratio", "Target"],
    ["Generation, 1 stream (tok/s)", fmt(b.genTps), fmt(c.genTps), `${fmt(ratios.genTps, 3)}×`, mark(genTarget)],
    [`Generation, ${s.parallel} streams, aggregate (tok/s)`, fmt(b.aggregateTps), fmt(c.aggregateTps), `${fmt(ratios.aggregateTps, 3)}×`, ""],
    [`  per stream (tok/s)`, fmt(b.aggregateTps / s.parallel), fmt(c.aggregateTps / s.parallel), "", ""],
    [`  vs 1 stream`, `${fmt(b.aggregateTps / b.genTps, 2)}×`, `${fmt(c.aggregateTps / c.genTps, 2)}×`, "", ""],
    [`Prompt, ${fmt(b.promptTokens, 0)} tokens (tok/s)`, fmt(b.promptTps), fmt(c.promptTps), `${fmt(ratios.promptTps, 3)}×`, ""],
    ["Time to first token, short prompt (ms)", fmt(b.ttftMs), fmt(c.ttftMs), `${fmt(ratios.ttft, 3)}×`, ""],
    ["  TTFT overhead (ms)", "", `+${fmt(ratios.ttftOverheadMs)}`, "", mark(ttftTarget)],
    ["Idle RSS, API process (MB)", "", fmt(r.rss.apiBytes === null ? null : r.rss.apiBytes / MB), "", mark(rssTarget)],
    ["Idle RSS, runner process (MB)", "", fmt(r.rss.runnerBytes === null ? null : r.rss.runnerBytes / MB), "", ""],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  const table = rows.map((row, ri) => {
    const line = row.map((cell, i) => (i === 0 || i === row.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("   ");
    return ri === 0 ? `${line.trimEnd()}\n${"-".repeat(line.trimEnd().length)}` : line.trimEnd();
  });

  const cpuPerToken = (side: SideSummary): string =>
    Object.entries(side.cpuMs)
      .map(([name, ms]) => `${name} ${fmt(ms / side.tokens, 2)}`)
      .join(" + ");
  const perRound = (label: string, pick: (x: RoundSample) => number, digits = 1): string =>
    `  ${label.padEnd(22)} baseline [${b.rounds.map((x) => fmt(pick(x), digits)).join(", ")}]  chaibox [${c.rounds.map((x) => fmt(pick(x), digits)).join(", ")}]`;

  const lines = [
    `chaibox bench — ${r.date}, ${fmt(r.durationS, 0)} s`,
    `model:    ${r.preset} (${r.model.quant}, seed ${r.model.seed}, ${fmt(r.model.sizeBytes / 1e6, 0)} MB)`,
    `machine:  ${r.machine.cpu}, ${r.machine.cores} cores, GPU ${r.machine.gpu === false ? "none (CPU)" : r.machine.gpu}, ` +
      `load avg ${r.machine.loadAvgStart.map((l) => l.toFixed(2)).join(" ")} → ${r.machine.loadAvgEnd.map((l) => l.toFixed(2)).join(" ")}`,
    `settings: threads ${s.threads} (both sides), ${s.parallel} sequences × ${s.contextSize} tokens, max ${s.tokens} tokens, ` +
      `greedy, ${s.rounds} round(s), median; ${s.mode === "alternating" ? "baseline and chaibox rounds alternate (both loaded, one idle)" : "all baseline rounds first, then chaibox"}`,
    `chaibox:  'chaibox serve' child process over HTTP (SSE), ${s.chaibox === "tsx" ? "run from the sources through tsx (its loader adds to the RSS; --build measures the compiled build)" : "run from a compiled build"}`,
    "",
    ...table,
    "",
    `CPU ms per generated token: baseline ${cpuPerToken(b)}; chaibox ${cpuPerToken(c)}`,
    "Per round:",
    perRound("gen 1 stream (tok/s)", (x) => x.genTps),
    perRound(`gen ${s.parallel} streams (tok/s)`, (x) => x.aggregateTps),
    perRound("prompt (tok/s)", (x) => x.promptTps),
    perRound("TTFT (ms)", (x) => x.ttftMs),
  ];
  if (r.notes.length > 0) lines.push("Notes:", ...r.notes.map((n) => `  - ${n}`));
  lines.push(`Targets: ${r.targets.filter((t) => t.pass && Number.isFinite(t.value)).length}/${r.targets.length} met.`);
  return lines.join("\n");
}
