/**
 * The dependency rules of the design hold: the import graph of src/ has no cycles, no import points from a
 * lower layer to a higher one, and the native binding and D-Bus each have one home. The allow-lists name the
 * violations still in the tree; each one removed from the code must be removed here too (the test fails on
 * an entry that no longer occurs), so the lists only shrink.
 */
import { describe, expect, it } from "vitest";
import { cycles, readGraph, upwardImports } from "../helpers/source-graph.js";

/** Cycles still in the tree. */
const knownCycles: string[] = [
  "cli/models-pull.ts ⇄ cli/models-recommend.ts ⇄ cli/models.ts",
  "conformance/context.ts ⇄ conformance/probe.ts ⇄ conformance/types.ts",
  "engine/native/runner/chat.ts ⇄ engine/native/runner/completion.ts",
];

/** Imports from a lower layer to a higher one still in the tree. */
const knownUpwardImports: string[] = [
  "models/model-info.ts → api/chai/model-schema.ts",
  "platform/service-state.ts → main.ts",
  "state/responses-store.ts → api/openai/responses.ts",
];

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
  it("has no cycles beyond the known ones", () => {
    expect(cycles(graph)).toEqual(knownCycles);
  });

  it("has no import from a lower layer to a higher one beyond the known ones", () => {
    expect(upwardImports(graph)).toEqual(knownUpwardImports);
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
    expect(graph.imports.get("main.ts")).toContain("engine/native/client.ts");
  });
});
