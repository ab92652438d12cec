/**
 * chaibox against its own specification: the conformance suite (`chaibox conformance`) run over real HTTP
 * against a real server with a chat and an embedding model, with auth off (`serve --no-auth`) and on
 * (a token made on the box). Every applicable MUST passes; the run removes what it created.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConformance } from "../../src/conformance/run.js";
import { formatReport } from "../../src/conformance/score.js";
import type { ConformanceReport } from "../../src/conformance/types.js";
import { ensureTestModels } from "../helpers/models.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** The failed MUSTs with why, for a readable assertion message. */
function failedMusts(report: ConformanceReport): string[] {
  return report.results.filter((r) => r.level === "MUST" && r.outcome === "fail").map((r) => `${r.id} ${r.reason ?? ""} ${JSON.stringify(r.exchange ?? {})}`);
}

describe.each([
  { auth: false, name: "auth off" },
  { auth: true, name: "auth on" },
])("chaibox conformance, $name", ({ auth }) => {
  let server: TestServer;
  let report: ConformanceReport;

  beforeAll(async () => {
    await ensureTestModels([{ preset: "embed" }]);
    server = await startTestServer({ models: { demo: "demo", embed: "embed" }, auth });
    const token = auth ? server.auth.tokens.create("conformance", "inference", "cli").token : undefined;
    report = await runConformance({ url: server.url, ...(token !== undefined && { token }), mdns: false });
    if (process.env.CHAIBOX_CONFORMANCE_REPORT !== undefined) console.log(formatReport(report));
  }, 300_000);
  afterAll(async () => {
    await server?.dispose();
  });

  it("passes every applicable MUST", () => {
    expect(failedMusts(report)).toEqual([]);
    // Every chaibox feature is served, so only what needs another server (auth on) is not applicable.
    expect(report.overall.must.applicable).toBeGreaterThanOrEqual(auth ? 50 : 49);
  });

  it("chose its models by their chai metadata", () => {
    expect(report.chatModel).toBe("demo");
    expect(report.embeddingModel).toBe("embed");
    expect(report.authRequired).toBe(auth);
  });

  it("keeps to a bounded number of requests and leaves nothing behind", () => {
    expect(report.requests).toBeLessThanOrEqual(200);
    expect(server.auth.pairings.pending()).toEqual([]);
  });
});
