/**
 * The engine check child's wire format: one marked JSON line on stdout, its report. Parsed by
 * {@link parseEngineCheckOutput}, which trusts nothing: the child may have crashed before printing it.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

/** Prefix of the one stdout line that carries the report; other lines are ignored. */
export const ENGINE_CHECK_MARKER = "chaibox-engine-check:";

export const EngineCheckReportSchema = Type.Union([
  Type.Object({ ok: Type.Literal(true), tokens: Type.Integer(), ms: Type.Number() }),
  Type.Object({ ok: Type.Literal(false), error: Type.String() }),
]);
export type EngineCheckReport = Static<typeof EngineCheckReportSchema>;

/** The report in the child's stdout, or undefined when it printed none of the right shape. */
export function parseEngineCheckOutput(stdout: string): EngineCheckReport | undefined {
  const line = stdout
    .split("\n")
    .reverse()
    .find((l) => l.startsWith(ENGINE_CHECK_MARKER));
  if (line === undefined) return undefined;
  try {
    const data: unknown = JSON.parse(line.slice(ENGINE_CHECK_MARKER.length));
    return Value.Check(EngineCheckReportSchema, data) ? data : undefined;
  } catch {
    return undefined;
  }
}
