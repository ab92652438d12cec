/** `chaibox conformance` as a command: its usage errors, and a run against a server that is not Chai (exit 1, JSON report). */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConformanceReport } from "../../src/conformance/types.js";
import { runCli } from "../helpers/cli.js";

let plain: Server;
let url: string;

beforeAll(async () => {
  // Answers every request with an OpenAI-looking but non-Chai model list, and 404 for the rest.
  plain = createServer((request, response) => {
    if (request.url === "/v1/models") return void response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data: [{ id: "m", object: "model" }] }));
    response.writeHead(404).end("no");
  });
  await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
});
afterAll(() => {
  plain?.close();
});

describe("chaibox conformance", () => {
  it("needs one URL", async () => {
    const result = await runCli(["conformance"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("conformance takes one URL");
    expect((await runCli(["conformance", "not a url"])).stderr).toContain("is not a URL");
  });

  it("prints a JSON report and exits 1 when a MUST failed", async () => {
    const result = await runCli(["conformance", url, "--json", "--section", "2", "--no-mdns"]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as ConformanceReport;
    expect(report.chatModel).toBe("m");
    expect(report.results.map((r) => [r.id, r.outcome])).toEqual([
      ["§2-1", "fail"],
      ["§2-2", "fail"],
      ["§2-6", "na"],
    ]);
    expect(report.results[1]?.reason).toContain("'m' has no chai object");
    expect(report.sections).toEqual({ "§2": { must: { passed: 0, applicable: 2, notApplicable: 1 }, should: { passed: 0, applicable: 0, notApplicable: 0 } } });
  });

  it("prints each check and the scores as text", async () => {
    const result = await runCli(["conformance", url, "--section", "5", "--no-mdns"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL +§5-1 +MUST +GET \/health is public/);
    expect(result.stdout).toContain("sent:     GET");
    expect(result.stdout).toContain("received: 404 no");
    expect(result.stdout).toMatch(/Overall +MUST 0\/1 · SHOULD 0\/0/);
  });
});
