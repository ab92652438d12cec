/** Scores and the text report of a conformance run. */
import type { CheckResult, ConformanceReport, Score } from "./types.js";

/** Passed of applicable checks, per level. */
export function scoreOf(results: readonly CheckResult[]): Score {
  const level = (name: "MUST" | "SHOULD") => {
    const of = results.filter((result) => result.level === name);
    return { passed: of.filter((r) => r.outcome === "pass").length, applicable: of.filter((r) => r.outcome !== "na").length, notApplicable: of.filter((r) => r.outcome === "na").length };
  };
  return { must: level("MUST"), should: level("SHOULD") };
}

/** `MUST 57/57 · SHOULD 11/12` (with the not-applicable counts when there are any). */
export function formatScore(score: Score): string {
  const part = (name: string, s: Score["must"]) => `${name} ${s.passed}/${s.applicable}${s.notApplicable > 0 ? ` (${s.notApplicable} n/a)` : ""}`;
  return `${part("MUST", score.must)} · ${part("SHOULD", score.should)}`;
}

const SECTION_NAMES: Record<string, string> = {
  "§1": "Transport and versioning",
  "§2": "Models",
  "§3": "Chat Completions",
  "§4": "Errors",
  "§5": "Health",
  "§6": "Discovery",
  "§7": "Authentication and pairing",
  "§8": "Embeddings",
  "§9": "Responses",
  "§10": "Model selection",
  "§11": "Extensions",
  "§12": "Security",
};

const LABEL = { pass: "PASS", fail: "FAIL", na: "n/a " } as const;

/** One line per check, what was sent and received for each failure, and the scores. */
export function formatReport(report: ConformanceReport): string {
  const lines: string[] = [];
  const server = report.server ? `${report.server.name} ${report.server.version}` : "no Chai discovery document";
  lines.push(`Chai conformance of ${report.url} (${server}), ${report.date}`);
  lines.push(`chat model: ${report.chatModel ?? "none"} · embedding model: ${report.embeddingModel ?? "none"} · token required: ${String(report.authRequired ?? "unknown")}`, "");
  for (const result of report.results) lines.push(...formatResult(result));
  lines.push("", "Scores (passed/applicable):");
  for (const [section, score] of Object.entries(report.sections)) lines.push(`  ${`${section} ${SECTION_NAMES[section] ?? ""}`.padEnd(32)} ${formatScore(score)}`);
  lines.push(`  ${"Overall".padEnd(32)} ${formatScore(report.overall)}`, `  (${report.requests} requests)`);
  return lines.join("\n");
}

/** A check's line, and for a failure why, what was sent and what came back. */
export function formatResult(result: CheckResult): string[] {
  const lines = [`${LABEL[result.outcome]}  ${result.id.padEnd(7)} ${result.level.padEnd(6)} ${result.title}`];
  if (result.outcome === "na" && result.reason !== undefined) lines.push(`        ${result.reason}`);
  if (result.outcome === "fail") {
    lines.push(`        ${result.reason ?? ""}`);
    if (result.exchange) {
      const { method, url, sent, status, received } = result.exchange;
      lines.push(`        sent:     ${method} ${url}${sent === undefined ? "" : ` ${sent}`}`);
      lines.push(`        received: ${status} ${received.replace(/\n/g, "\n                  ")}`);
    }
  }
  return lines;
}
