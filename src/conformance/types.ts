/** The conformance suite's vocabulary: requirements, checks, their outcomes and the report. */
import type { Probe } from "./probe.js";
import type { ConformanceContext } from "./context.js";
import type { Exchange } from "./failures.js";

export { CheckFailure, NotApplicable, type Exchange } from "./failures.js";

/** RFC 2119 level of a requirement. */
export type Level = "MUST" | "SHOULD";

/** What one check found. `na`: the requirement does not apply to this server (a feature it does not serve). */
export type Outcome = "pass" | "fail" | "na";

/** One requirement's check, as the report shows it. */
export interface CheckResult {
  id: string;
  level: Level;
  title: string;
  outcome: Outcome;
  /** Why it failed or does not apply. */
  reason?: string;
  /** For a failure: the exchange that showed it. */
  exchange?: Exchange;
}

/** A check of one requirement of docs/chai-v1.md. */
export interface Check {
  /** The requirement's id in the spec, e.g. `§3-2`. */
  id: string;
  level: Level;
  /** The requirement in a few words. */
  title: string;
  /** Runs it. Resolve for a pass; throw {@link CheckFailure} or {@link NotApplicable} otherwise. */
  run: (ctx: ConformanceContext, probe: Probe) => Promise<void>;
}


/** Scores of a set of results: passed of applicable, per level. */
export interface Score {
  must: { passed: number; applicable: number; notApplicable: number };
  should: { passed: number; applicable: number; notApplicable: number };
}

/** The whole run, as `--json` prints it. */
export interface ConformanceReport {
  url: string;
  /** When the run started (ISO 8601). */
  date: string;
  /** The server as its discovery document names it, when it has one. */
  server: { name: string; version: string } | null;
  chatModel: string | null;
  embeddingModel: string | null;
  authRequired: boolean | null;
  requests: number;
  results: CheckResult[];
  sections: Record<string, Score>;
  overall: Score;
}
