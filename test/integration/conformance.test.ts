/**
 * chaibox against its own specification: the conformance suite (`chaibox conformance`) run over real HTTP
 * against a real server with a chat and an embedding model, with auth off (`serve --no-auth`) and on
 * (a token made on the box). Every applicable MUST passes; the run removes what it created.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allChecks } from "../../src/conformance/checks/index.js";
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
  let peer: TestServer;
  let report: ConformanceReport;

  beforeAll(async () => {
    await ensureTestModels([{ preset: "embed" }]);
    // Another box as a provider, so the server under test lists a provider's model too (§2.2).
    peer = await startTestServer({ models: { demo: "demo" } });
    server = await startTestServer({ models: { demo: "demo", embed: "embed" }, auth, config: { providers: [{ id: "peer", kind: "chai", url: peer.url }] } });
    for (let i = 0; !(await server.app.inject({ method: "GET", url: "/v1/models", headers: { authorization: `Bearer ${server.localKey}` } })).body.includes('"peer/demo"'); i++) {
      if (i > 100) throw new Error("the peer's model never showed");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const token = auth ? server.auth.tokens.create("conformance", "inference", "cli").token : undefined;
    // A loaded CI machine can take minutes over a first load and a long tool prompt: generous per-request time.
    report = await runConformance({ url: server.url, ...(token !== undefined && { token }), mdns: false, timeoutMs: 240_000 });
    if (process.env.CHAIBOX_CONFORMANCE_REPORT !== undefined) console.log(formatReport(report));
  }, 900_000);
  afterAll(async () => {
    await server?.dispose();
    await peer?.dispose();
  });

  it("passes every applicable MUST", () => {
    expect(failedMusts(report)).toEqual([]);
    // chaibox serves every feature: only the check of a token-requiring server is not applicable with auth off.
    const musts = allChecks.filter((check) => check.level === "MUST").length;
    expect(report.overall.must).toEqual({ passed: musts - (auth ? 0 : 1), applicable: musts - (auth ? 0 : 1), notApplicable: auth ? 0 : 1 });
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

describe("conformance of a server that is not Chai", () => {
  it("reports what is missing instead of crashing", async () => {
    // A plain web server: every path is a 404 page.
    const plain = createServer((_request, response) => response.writeHead(404, { "content-type": "text/html" }).end("<h1>Not here</h1>"));
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    const { port } = plain.address() as AddressInfo;
    try {
      const report = await runConformance({ url: `http://127.0.0.1:${port}`, mdns: false, timeoutMs: 10_000 });
      expect(report.results).toHaveLength(allChecks.length);
      expect(report.server).toBeNull();
      expect(report.chatModel).toBeNull();
      const models = report.results.find((r) => r.id === "§2-1");
      expect(models).toMatchObject({ outcome: "fail", reason: expect.stringContaining("404") as unknown });
      const discovery = report.results.find((r) => r.id === "§6-1");
      expect(discovery?.outcome).toBe("fail");
      expect(discovery?.exchange?.received).toContain("Not here");
      expect(report.results.filter((r) => r.outcome === "fail").every((r) => (r.reason ?? "").length > 0)).toBe(true);
      expect(report.overall.must.passed).toBeLessThan(5);
      expect(report.requests).toBeLessThanOrEqual(40);
    } finally {
      plain.close();
    }
  });
});
