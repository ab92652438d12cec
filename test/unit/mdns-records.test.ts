/** What chaibox advertises over DNS-SD (pure parts): instance name, TXT record, and the interfaces ciao answers on. */
import { describe, expect, it } from "vitest";
import { chaiTxt, chaiTxtKeys, decodeTxt, encodeTxt, instanceName } from "../../src/platform/mdns-records.js";
import { responderInterfaces } from "../../src/platform/mdns-embedded.js";

describe("instanceName", () => {
  it("is the box name, trimmed and without control characters", () => {
    expect(instanceName("  Kitchen box\n")).toBe("Kitchen box");
    expect(instanceName("a\u0007b")).toBe("ab");
  });

  it("falls back to chaibox when nothing is left", () => {
    expect(instanceName("")).toBe("chaibox");
    expect(instanceName(" \t ")).toBe("chaibox");
  });

  it("fits one DNS label (63 bytes of UTF-8) without splitting a character", () => {
    const name = instanceName("é".repeat(40));
    expect(Buffer.byteLength(name, "utf8")).toBe(62);
    expect(name).toBe("é".repeat(31));
  });
});

describe("the _chai._tcp TXT record", () => {
  const ad = { boxId: "6f1c0e52", name: "kitchen", port: 8080, specVersion: "1.0" };

  it("has every key of docs/chai-v1.md §6.2, in order", () => {
    const txt = chaiTxt(ad);
    expect(Object.keys(txt)).toEqual([...chaiTxtKeys]);
    expect(txt).toEqual({ chai: "1.0", id: "6f1c0e52", name: "kitchen", api: "/v1", wk: "/.well-known/chai", auth: "bearer" });
  });

  it("round-trips through the key=value strings DNS carries", () => {
    const encoded = encodeTxt(chaiTxt({ ...ad, name: "salle à manger = 1" }));
    expect(encoded[2]?.toString("utf8")).toBe("name=salle à manger = 1");
    expect(decodeTxt(encoded)).toEqual(chaiTxt({ ...ad, name: "salle à manger = 1" }));
  });

  it("reads flags as empty values, keys in lower case, the first occurrence of a key only", () => {
    expect(decodeTxt([Buffer.from("Chai=1.0"), Buffer.from("flag"), Buffer.from("chai=2.0"), Buffer.from("=x")])).toEqual({ chai: "1.0", flag: "" });
  });
});

describe("responderInterfaces", () => {
  const info = (internal: boolean) => ({ address: "10.0.0.1", netmask: "255.0.0.0", family: "IPv4" as const, mac: "00:00:00:00:00:00", internal, cidr: null });

  it("lists the interfaces with an address that is not loopback, whatever their name", () => {
    expect(responderInterfaces({ lo: [info(true)], "eth0": [info(false)], veth0: [info(false)], down: [] })).toEqual(["eth0", "veth0"]);
  });

  it("leaves the choice to ciao when there is none", () => {
    expect(responderInterfaces({ lo: [info(true)] })).toBeUndefined();
  });
});
