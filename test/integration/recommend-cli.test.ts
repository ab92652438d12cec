/** `chaibox models recommend` as a user runs it: on saved snapshots, with the real catalog and an installed model. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli } from "../helpers/cli.js";
import { testModelPath } from "../helpers/models.js";

/** What `models recommend --json` prints: fit's result with snake_case keys, as the HTTP API writes them. */
interface RecommendJson {
  choices: { model_id: string; installed_id?: string; quant: string; kind: string; full_offload: boolean; tokens_per_second: number }[];
  skipped: { model_id: string; reason: string }[];
}

const fixture = (name: string) => join(repoRoot, "test/fixtures/hardware", `${name}.json`);

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "chaibox-recommend-"));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe("chaibox models recommend", () => {
  it("ranks the catalog for a desktop GPU, says how each runs, and why the bigger ones were skipped", async () => {
    const json = await runCli(["models", "recommend", "--hardware", fixture("rtx-3060-12gb"), "--json", "--data-dir", dataDir]);
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout) as RecommendJson & { hardware: { source: string } };
    expect(result.hardware.source).toMatch(/RTX 3060/);
    expect(result.choices[0]).toMatchObject({ model_id: "qwen3-14b", quant: "Q4_K_M", full_offload: true, kind: "chat" });
    expect(result.skipped.find((s) => s.model_id === "qwen3-32b")?.reason).toMatch(/^too (slow|big): /);

    const text = await runCli(["models", "recommend", "--hardware", fixture("rtx-3060-12gb"), "--data-dir", dataDir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("Simulated: ");
    expect(text.stdout).toMatch(/Chat models, best first:\n {2}1\. Qwen3 14B — qwen3-14b:Q4_K_M, [\d.]+ GB\n {5}Q4_K_M fully on the NVIDIA GeForce RTX 3060, 4096-token context: /);
    expect(text.stdout).toContain("Embedding models:");
    expect(text.stdout).toMatch(/Skipped:\n(.*\n)*? {2}Qwen3 32B — too (slow|big): /);
    // The one to install first answers at a comfortable speed and leaves memory to spare, not the biggest.
    const first = /Install the one that suits this box with: chaibox models pull (\S+)\n$/.exec(text.stdout)?.[1];
    const chosen = result.choices.find((c) => `${c.model_id}:${c.quant}` === first);
    expect(chosen?.kind).toBe("chat");
    expect(chosen?.tokens_per_second).toBeGreaterThanOrEqual(10);
  });

  it("never recommends a random-weights test model added from its file, and says clearly when nothing fits", async () => {
    expect((await runCli(["models", "add", testModelPath("demo"), "--id", "demo", "--data-dir", dataDir])).code).toBe(0);
    const json = await runCli(["models", "recommend", "--hardware", fixture("x86-4gb-cpu"), "--json", "--data-dir", dataDir]);
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout) as RecommendJson;
    expect(result.choices.length).toBeGreaterThan(0);
    expect(result.choices.find((c) => c.installed_id === "demo" || c.model_id === "demo")).toBeUndefined();

    const small = JSON.parse(await readFile(fixture("x86-4gb-cpu"), "utf8")) as { memory: Record<string, number> };
    small.memory = { ...small.memory, totalBytes: 1_000_000_000, availableBytes: 800_000_000 };
    const file = join(dataDir, "small-box.json");
    await writeFile(file, JSON.stringify(small));
    const text = await runCli(["models", "recommend", "--hardware", file, "--data-dir", dataDir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Nothing fits this box: the smallest model, .+ needs [\d.]+ GB of RAM, and 0\.0 GB is available after keeping 1\.1 GB for the system\./);
  });

  it("refuses a snapshot file that is not one, listing the problems", async () => {
    const file = join(dataDir, "bad.json");
    await writeFile(file, JSON.stringify({ version: 99 }));
    const result = await runCli(["models", "recommend", "--hardware", file, "--data-dir", dataDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^chaibox: .*bad\.json/);
  });
});
