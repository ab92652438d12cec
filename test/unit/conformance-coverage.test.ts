/**
 * The spec and the conformance suite stay together: every MUST and SHOULD of docs/chai-v1.md (by its id) has
 * a check of the same level or is listed as not observable from outside with a reason, and every check cites
 * a requirement the spec has.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allChecks } from "../../src/conformance/checks/index.js";
import { notObservable } from "../../src/conformance/not-observable.js";
import { repoRoot } from "../helpers/cli.js";

const spec = readFileSync(join(repoRoot, "docs/chai-v1.md"), "utf8");
/** id → level, from every `[§N-M] MUST|SHOULD` in the spec. */
const requirements = new Map([...spec.matchAll(/\[(§\d+-\d+)\] (MUST|SHOULD)/g)].map((m) => [m[1] ?? "", m[2] ?? ""]));

describe("the conformance suite and docs/chai-v1.md", () => {
  it("gives every MUST and SHOULD an id, each id once", () => {
    const keywords = spec.split("\n").filter((line) => !line.includes("key words") && !line.includes("Each MUST and SHOULD")).join("\n").match(/\b(MUST|SHOULD)\b/g) ?? [];
    const attached = [...spec.matchAll(/\[(§\d+-\d+)\] (MUST|SHOULD)/g)];
    expect(requirements.size).toBe(keywords.length);
    expect(attached.length).toBe(requirements.size);
    expect(requirements.size).toBeGreaterThanOrEqual(70);
  });

  it("checks every requirement, or says why it cannot be seen from outside", () => {
    const checked = new Set(allChecks.map((check) => check.id));
    const uncovered = [...requirements.keys()].filter((id) => !checked.has(id) && notObservable[id] === undefined);
    expect(uncovered).toEqual([]);
    const both = [...checked].filter((id) => notObservable[id] !== undefined);
    expect(both).toEqual([]);
    for (const reason of Object.values(notObservable)) expect(reason.length).toBeGreaterThan(10);
  });

  it("cites only requirements the spec has, at their level", () => {
    for (const check of allChecks) expect([check.id, requirements.get(check.id)]).toEqual([check.id, check.level]);
    for (const id of Object.keys(notObservable)) expect(requirements.has(id), id).toBe(true);
    expect(new Set(allChecks.map((check) => check.id)).size).toBe(allChecks.length);
  });
});
