/**
 * The dependency rules of the design hold: the import graph of src/ has no cycles, no import points from a
 * lower layer to a higher one (layers: test/helpers/source-graph.ts, after the design), the native binding
 * and D-Bus each have one home, and the child programs are reached through one client module.
 */
import { describe, expect, it } from "vitest";
import { cycles, readGraph, upwardImports } from "../helpers/source-graph.js";

/** The packages that exactly one part of src/ may import. */
const packageHomes: Record<string, string> = {
  "node-llama-cpp": "engine/native/",
  "dbus-next": "platform/",
};

/**
 * What the rest of src/ may import from engine/native: the one client module, the data the child programs
 * send back, and the build of the native engine (`chaibox engine build`). A child program's path and protocol
 * stay inside.
 */
const nativeDoors = ["client.ts", "model-traits.ts", "insights-table.ts", "build.ts", "engine-files.ts"].map((file) => `engine/native/${file}`);

const graph = readGraph();

describe("the import graph of src/", () => {
  it("finds cycles and upward imports where there are some (the checks below are not vacuous)", () => {
    const imports = new Map([
      ["engine/a.ts", ["engine/b.ts"]],
      ["engine/b.ts", ["engine/a.ts", "api/c.ts"]],
      ["api/c.ts", ["engine/a.ts"]],
    ]);
    expect(cycles({ imports, packages: new Map() })).toEqual(["api/c.ts ⇄ engine/a.ts ⇄ engine/b.ts"]);
    expect(upwardImports({ imports, packages: new Map() })).toEqual(["engine/b.ts → api/c.ts"]);
  });

  it("has no cycles", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("has no import from a lower layer to a higher one", () => {
    expect(upwardImports(graph)).toEqual([]);
    // The graph is real: the composition root sits above the engine and imports it.
    expect(graph.imports.get("main.ts")).toContain("engine/scheduler.ts");
  });

  it("imports the native binding and D-Bus from their one home each", () => {
    const strays: string[] = [];
    for (const [file, packages] of graph.packages) {
      for (const name of packages) {
        const home = packageHomes[name];
        if (home !== undefined && !file.startsWith(home)) strays.push(`${file} → ${name}`);
      }
    }
    expect(strays).toEqual([]);
    // The check reads real files: the homes do import them.
    expect([...graph.packages].some(([file, packages]) => file.startsWith("engine/") && packages.includes("node-llama-cpp"))).toBe(true);
  });

  it("reaches the child programs only through engine/native's client module", () => {
    const strays: string[] = [];
    for (const [file, targets] of graph.imports) {
      if (file.startsWith("engine/native/")) continue;
      for (const to of targets) if (to.startsWith("engine/native/") && !nativeDoors.includes(to)) strays.push(`${file} → ${to}`);
    }
    expect(strays).toEqual([]);
    expect(graph.imports.get("wiring/engine.ts")).toContain("engine/native/client.ts");
  });
});
