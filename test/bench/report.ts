/** The bench's results: medians, ratios, targets, the printed table and the JSON written to last.json. */
import type { RoundSample } from "./measure.js";
import type { PerTokenResult } from "./per-token.js";
import { median } from "./workload.js";

/** Medians of one side's rounds. */
export interface SideSummary {
  ttftMs: number;
  promptTps: number;
  promptTokens: number;
  prefixTtftMs: number;
  genTps: number;
  aggregateTps: number;
  streamsDecodeTps: number;
  /** Median share of all cores other processes used while this side was measured (0–1). */
  othersCpu: number;
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
  settings: { threads: number; parallel: number; contextSize: number; tokens: number; temperature: number; rounds: number; mode: "alternating" | "sequential"; chaibox: "tsx" | "build"; engine: string };
  baseline: SideSummary;
  chaibox: SideSummary;
  rss: { apiPid: number; apiBytes: number | null; runnerPid: number | null; runnerBytes: number | null; baselineLoadBytes: number | null; llamaServerBytes: number | null };
  ratios: { genTps: number; aggregateTps: number; streamsDecodeTps: number; promptTps: number; ttft: number; ttftOverheadMs: number; prefixTtft: number };
  /** llama.cpp's own server, when built: its medians and chaibox/llama-server ratios (pairs from the same rounds). */
  llamaServer?: SideSummary;
  versusLlamaServer?: BenchResult["ratios"];
  /** The tiny model at 1 thread: what each token costs on its way out. */
  perToken: PerTokenResult;
  targets: Target[];
  notes: string[];
}

/** Summarizes one side's rounds by their medians. */
export function summarize(rounds: RoundSample[], cpuMs: Record<string, number>, tokens: number): SideSummary {
  return {
    ttftMs: median(rounds.map((r) => r.ttftMs)),
    promptTps: median(rounds.map((r) => r.promptTps)),
    promptTokens: median(rounds.map((r) => r.promptTokens)),
    prefixTtftMs: median(rounds.map((r) => r.prefixTtftMs)),
    genTps: median(rounds.map((r) => r.genTps)),
    aggregateTps: median(rounds.map((r) => r.aggregateTps)),
    streamsDecodeTps: median(rounds.map((r) => r.streamsDecodeTps)),
    othersCpu: median(rounds.map((r) => r.othersCpu)),
    cpuMs,
    tokens,
    rounds,
  };
}

/**
 * Ratios chaibox/baseline (and the TTFT overhead in ms) as the median over rounds of each round's pair:
 * the two sides of a round were measured back to back, so a pair shares the machine's conditions and the
 * median of pairs is steadier than the ratio of the two medians when the machine's speed drifts.
 */
export function ratiosOf(baseline: SideSummary, chaibox: SideSummary): BenchResult["ratios"] {
  const pairs = (pick: (r: RoundSample) => number, combine: (c: number, b: number) => number): number => {
    const n = Math.min(baseline.rounds.length, chaibox.rounds.length);
    return median(Array.from({ length: n }, (_, i) => combine(pick(chaibox.rounds[i]!), pick(baseline.rounds[i]!))));
  };
  const ratio = (c: number, b: number): number => c / b;
  return {
    genTps: pairs((r) => r.genTps, ratio),
    aggregateTps: pairs((r) => r.aggregateTps, ratio),
    streamsDecodeTps: pairs((r) => r.streamsDecodeTps, ratio),
    promptTps: pairs((r) => r.promptTps, ratio),
    ttft: pairs((r) => r.ttftMs, ratio),
    ttftOverheadMs: pairs((r) => r.ttftMs, (c, b) => c - b),
    prefixTtft: pairs((r) => r.prefixTtftMs, ratio),
  };
}

export const MB = 1024 * 1024;

/** What the llama-server targets are computed from: the ratios, the per-token ratio and the idle RSS. */
export interface VersusServer extends Ratios {
  perToken: number;
  runnerBytes: number | null;
  llamaServerBytes: number | null;
}

type Ratios = BenchResult["ratios"];

/**
 * The targets: against raw node-llama-cpp (the first three, in this order), and against llama-server when it
 * ran (decode, 4 streams, the tiny model's per-token rate, turn-2 TTFT and the runner's RSS).
 */
export function targetsOf(ratios: Ratios, apiBytes: number | null, server?: VersusServer): Target[] {
  const api = apiBytes === null ? Number.NaN : apiBytes / MB;
  const targets: Target[] = [
    { name: "single-stream generation", value: ratios.genTps, limit: "≥ 0.95×", pass: ratios.genTps >= 0.95 },
    { name: "TTFT overhead", value: ratios.ttftOverheadMs, limit: "≤ 15 ms", pass: ratios.ttftOverheadMs <= 15 },
    { name: "API idle RSS", value: api, limit: "≤ 80 MiB", pass: api <= 80 },
  ];
  if (server === undefined) return targets;
  const extra = server.runnerBytes === null || server.llamaServerBytes === null ? Number.NaN : (server.runnerBytes - server.llamaServerBytes) / MB;
  targets.push(
    { name: "generation, 1 stream vs llama-server", value: server.genTps, limit: "≥ 1.0×", pass: server.genTps >= 1 },
    { name: "generation, aggregate vs llama-server", value: server.aggregateTps, limit: "≥ 0.95×", pass: server.aggregateTps >= 0.95 },
    { name: "tiny model vs llama-server", value: server.perToken, limit: "≥ 0.6×", pass: server.perToken >= 0.6 },
    { name: "turn-2 TTFT vs llama-server", value: server.prefixTtft, limit: "≤ 1.2×", pass: server.prefixTtft <= 1.2 },
    { name: "runner RSS over llama-server's", value: extra, limit: "≤ 60 MiB", pass: extra <= 60 },
  );
  return targets;
}

function fmt(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "—" : value.toFixed(digits);
}

function signed(value: number): string {
  return Number.isFinite(value) ? `${value < 0 ? "−" : "+"}${Math.abs(value).toFixed(1)}` : "—";
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
    ["Measure", "Baseline", "chaibox", "Ratio*", "Target"],
    ["Generation, 1 stream (tok/s)", fmt(b.genTps), fmt(c.genTps), `${fmt(ratios.genTps, 3)}×`, mark(genTarget)],
    [`Generation, ${s.parallel} streams, aggregate (tok/s)`, fmt(b.aggregateTps), fmt(c.aggregateTps), `${fmt(ratios.aggregateTps, 3)}×`, ""],
    [`  per stream (tok/s)`, fmt(b.aggregateTps / s.parallel), fmt(c.aggregateTps / s.parallel), "", ""],
    [`  vs 1 stream`, `${fmt(b.aggregateTps / b.genTps, 2)}×`, `${fmt(c.aggregateTps / c.genTps, 2)}×`, "", ""],
    [`  decode phase, sum of stream rates`, fmt(b.streamsDecodeTps), fmt(c.streamsDecodeTps), `${fmt(ratios.streamsDecodeTps, 3)}×`, ""],
    [`Prompt, ${fmt(b.promptTokens, 0)} tokens (tok/s)`, fmt(b.promptTps), fmt(c.promptTps), `${fmt(ratios.promptTps, 3)}×`, ""],
    ["Time to first token, short prompt (ms)", fmt(b.ttftMs), fmt(c.ttftMs), `${fmt(ratios.ttft, 3)}×`, ""],
    ["  TTFT overhead (ms)", "", signed(ratios.ttftOverheadMs), "", mark(ttftTarget)],
    ["Turn-2 TTFT, shared ~2,300-token prefix (ms)", fmt(b.prefixTtftMs), fmt(c.prefixTtftMs), `${fmt(ratios.prefixTtft, 3)}×`, ""],
    [`Tiny model, 1 stream, ${r.perToken.threads} thread (tok/s)`, fmt(r.perToken.tps.baseline, 0), fmt(r.perToken.tps.chaibox, 0), `${fmt(r.perToken.versusBaseline, 3)}×`, ""],
    ["Idle RSS, API process (MiB)", "", fmt(r.rss.apiBytes === null ? null : r.rss.apiBytes / MB), "", mark(rssTarget)],
    ["Idle RSS, runner process (MiB)", "", fmt(r.rss.runnerBytes === null ? null : r.rss.runnerBytes / MB), "", ""],
    ["  baseline: RSS added by loading (MiB)", fmt(r.rss.baselineLoadBytes === null ? null : r.rss.baselineLoadBytes / MB), "", "", ""],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  const table = rows.map((row, ri) => {
    const line = row.map((cell, i) => (i === 0 || i === row.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("   ");
    return ri === 0 ? `${line.trimEnd()}\n${"-".repeat(line.trimEnd().length)}` : line.trimEnd();
  });

  const percent = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : "—");
  const cpuPerToken = (side: SideSummary): string =>
    Object.entries(side.cpuMs)
      .map(([name, ms]) => `${name} ${fmt(ms / side.tokens, 2)}`)
      .join(" + ");
  const perRound = (label: string, pick: (x: RoundSample) => number, digits = 1): string => {
    const ratios = c.rounds.map((x, i) => fmt(pick(x) / pick(b.rounds[i] ?? x), 2));
    const list = (rounds: RoundSample[]): string => rounds.map((x) => fmt(pick(x), digits)).join(", ");
    return `  ${label.padEnd(22)} baseline [${list(b.rounds)}]  chaibox [${list(c.rounds)}]  ratio [${ratios.join(", ")}]`;
  };

  const lines = [
    `chaibox bench — ${r.date}, ${fmt(r.durationS, 0)} s`,
    `model:    ${r.preset} (${r.model.quant}, seed ${r.model.seed}, ${fmt(r.model.sizeBytes / 1e6, r.model.sizeBytes < 1e7 ? 1 : 0)} MB)`,
    `machine:  ${r.machine.cpu}, ${r.machine.cores} cores, GPU ${r.machine.gpu === false ? "none (CPU)" : r.machine.gpu}, ` +
      `load avg ${r.machine.loadAvgStart.map((l) => l.toFixed(2)).join(" ")} → ${r.machine.loadAvgEnd.map((l) => l.toFixed(2)).join(" ")}`,
    `settings: threads ${s.threads} (both sides), ${s.parallel} sequences × ${s.contextSize} tokens, max ${s.tokens} tokens, ` +
      `temperature ${s.temperature} (same seed), ${s.rounds} round(s), median; ${s.mode === "alternating" ? "both loaded, each measurement on both sides back to back, order alternating" : "all baseline rounds first, then chaibox"}`,
    `engine:   ${s.engine} for chaibox's runner and the baseline; llama-server is built from the same llama.cpp source`,
    `chaibox:  'chaibox serve' child process over HTTP (SSE), ${s.chaibox === "tsx" ? "run from the sources through tsx (its loader adds to the RSS; --build measures the compiled build)" : "run from a compiled build"}`,
    "",
    ...table,
    "* chaibox/baseline, median over rounds of each round's back-to-back pair (TTFT overhead likewise); the",
    "  figures are the medians of each side's rounds.",
    "",
    `CPU ms per generated token (prompts included): baseline ${cpuPerToken(b)}; chaibox ${cpuPerToken(c)}`,
    "Per round:",
    perRound("gen 1 stream (tok/s)", (x) => x.genTps),
    perRound(`gen ${s.parallel} streams (tok/s)`, (x) => x.aggregateTps),
    perRound(`  decode phase (tok/s)`, (x) => x.streamsDecodeTps),
    perRound("prompt (tok/s)", (x) => x.promptTps),
    perRound("TTFT (ms)", (x) => x.ttftMs),
    perRound("turn-2 TTFT (ms)", (x) => x.prefixTtftMs),
    `  ${"tiny model (tok/s)".padEnd(22)} ${Object.entries(r.perToken.rounds).map(([name, values]) => `${name} [${values.map((v) => fmt(v, 0)).join(", ")}]`).join("  ")}`,
    `  ${"others' CPU".padEnd(22)} baseline [${b.rounds.map((x) => percent(x.othersCpu)).join(", ")}]  chaibox [${c.rounds.map((x) => percent(x.othersCpu)).join(", ")}]`,
  ];
  if (r.llamaServer && r.versusLlamaServer) lines.push("", ...formatVersusServer(r, r.llamaServer, r.versusLlamaServer));
  if (r.notes.length > 0) lines.push("Notes:", ...r.notes.map((n) => `  - ${n}`));
  lines.push(`Targets: ${r.targets.filter((t) => t.pass && Number.isFinite(t.value)).length}/${r.targets.length} met.`);
  return lines.join("\n");
}

/** The comparison with llama-server: its medians beside chaibox's, and chaibox/llama-server per round pair. */
function formatVersusServer(r: BenchResult, l: SideSummary, v: BenchResult["ratios"]): string[] {
  const c = r.chaibox;
  const mb = (bytes: number | null): string => fmt(bytes === null ? null : bytes / MB);
  const target = (name: string): string => mark(r.targets.find((t) => t.name === name));
  const p = r.perToken;
  const rows: [string, string, string, string, string][] = [
    ["Generation, 1 stream (tok/s)", fmt(l.genTps), fmt(c.genTps), `${fmt(v.genTps, 3)}×`, target("generation, 1 stream vs llama-server")],
    [`Generation, ${r.settings.parallel} streams, aggregate (tok/s)`, fmt(l.aggregateTps), fmt(c.aggregateTps), `${fmt(v.aggregateTps, 3)}×`, target("generation, aggregate vs llama-server")],
    [`  decode phase, sum of stream rates`, fmt(l.streamsDecodeTps), fmt(c.streamsDecodeTps), `${fmt(v.streamsDecodeTps, 3)}×`, ""],
    [`Tiny model, 1 stream, ${p.threads} thread (tok/s)`, fmt(p.tps["llama-server"], 0), fmt(p.tps.chaibox, 0), `${fmt(p.versusLlamaServer, 3)}×`, target("tiny model vs llama-server")],
    ["Prompt (tok/s)", fmt(l.promptTps), fmt(c.promptTps), `${fmt(v.promptTps, 3)}×`, ""],
    ["Time to first token, short prompt (ms)", fmt(l.ttftMs), fmt(c.ttftMs), `${fmt(v.ttft, 3)}×`, ""],
    ["Turn-2 TTFT, shared prefix (ms)", fmt(l.prefixTtftMs), fmt(c.prefixTtftMs), `${fmt(v.prefixTtft, 3)}×`, target("turn-2 TTFT vs llama-server")],
    ["Idle RSS: llama-server vs runner (MiB)", mb(r.rss.llamaServerBytes), mb(r.rss.runnerBytes), "", target("runner RSS over llama-server's")],
  ];
  return [
    "Against llama.cpp's llama-server (same model, threads, sequences; ratio = chaibox/llama-server, median of round pairs):",
    ...rows.map(([name, server, chaibox, ratio, mark]) => `  ${name.padEnd(44)} ${server.padStart(9)} ${chaibox.padStart(9)} ${ratio.padStart(9)}   ${mark}`.trimEnd()),
  ];
}
