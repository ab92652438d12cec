/** The discovery client's pure parts: answers merged per service, discovery documents recognised, the listing. */
import { describe, expect, it } from "vitest";
import { formatServers } from "../../src/cli/discover.js";
import { baseUrl, isDiscoveryDocument, mergeServices, type ResolvedService } from "../../src/client/servers.js";

const txt = { chai: "1.0", id: "box-1", name: "kitchen", api: "/v1", wk: "/.well-known/chai", auth: "bearer" };
const answer = (over: Partial<ResolvedService>): ResolvedService => ({ name: "kitchen", host: "kitchen.local", addresses: ["192.168.1.5"], port: 80, txt, ...over });

describe("mergeServices", () => {
  it("makes one entry per instance from the answers of each interface and family, IPv4 first", () => {
    const servers = mergeServices([answer({ addresses: ["fe80::1"] }), answer({}), answer({ addresses: ["192.168.1.5"] })]);
    expect(servers).toHaveLength(1);
    expect(servers[0]).toMatchObject({ name: "kitchen", addresses: ["192.168.1.5", "fe80::1"], port: 80, chaiVersion: "1.0", boxId: "box-1", boxName: "kitchen", url: "http://192.168.1.5:80" });
  });

  it("keeps instances of the same box name apart, sorted by name", () => {
    const servers = mergeServices([answer({ name: "kitchen #2", port: 8081, txt: { ...txt, id: "box-2" } }), answer({})]);
    expect(servers.map((s) => [s.name, s.boxId])).toEqual([
      ["kitchen", "box-1"],
      ["kitchen #2", "box-2"],
    ]);
  });

  it("leaves the TXT hints undefined when a server does not send them", () => {
    expect(mergeServices([answer({ txt: {} })])[0]).toMatchObject({ chaiVersion: undefined, boxId: undefined, boxName: undefined });
  });
});

describe("baseUrl", () => {
  it("brackets IPv6 addresses", () => {
    expect(baseUrl("10.0.0.2", 8080)).toBe("http://10.0.0.2:8080");
    expect(baseUrl("fd00::2", 8080)).toBe("http://[fd00::2]:8080");
  });
});

describe("isDiscoveryDocument", () => {
  it("accepts a Chai discovery document and refuses other JSON", () => {
    expect(isDiscoveryDocument({ chai_version: "1.0", api_base: "/v1", box: { id: "x", name: "y" }, features: [] })).toBe(true);
    expect(isDiscoveryDocument({ status: "ok" })).toBe(false);
    expect(isDiscoveryDocument(null)).toBe(false);
  });
});

describe("formatServers", () => {
  it("says when nobody answered", () => {
    expect(formatServers([], 3)).toBe("No Chai server answered within 3 s.");
  });

  it("shows each server's address, TXT hints and discovery summary, or why the document was not read", () => {
    const [server] = mergeServices([answer({})]);
    if (!server) throw new Error("no server");
    const reachable = {
      ...server,
      discovery: {
        chai_version: "1.0",
        server: { name: "chaibox", version: "0.1.0" },
        box: { id: "box-1", name: "kitchen" },
        api_base: "/v1",
        auth: { scheme: "bearer" as const, required: false, pairing_endpoint: "/chai/v1/pairings" },
        features: ["chat_completions" as const, "ollama" as const],
      },
    };
    expect(formatServers([reachable], 3)).toBe(
      "kitchen  (chai 1.0, box id box-1)\n" +
        "  http://192.168.1.5:80  host kitchen.local, addresses 192.168.1.5, port 80\n" +
        "  chaibox 0.1.0, box 'kitchen', no token needed, features: chat_completions, ollama",
    );
    expect(formatServers([{ ...server, discoveryError: "http://192.168.1.5:80: fetch failed" }], 3)).toContain("/.well-known/chai not reachable: http://192.168.1.5:80: fetch failed");
  });
});
