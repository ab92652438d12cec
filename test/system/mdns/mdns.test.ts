/**
 * chaibox found over mDNS from another host (network namespace B): advertised through avahi-daemon (with
 * every TXT key, names kept distinct on collisions, again after avahi-daemon restarts, renamed by update(),
 * withdrawn on SIGTERM, offered as a provider on another box's Settings screen) and through the embedded
 * responder when no Avahi is on the bus.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DiscoveredServer } from "../../../src/client/servers.js";
import { avahiBrowse, type Browsed } from "./avahi-browse.js";
import { createHosts, removeHosts, until, type Host, type Proc } from "./hosts.js";

const repo = new URL("../../..", import.meta.url).pathname;
const cli = join(repo, "dist/src/cli/main.js");
const hardware = join(repo, "test/fixtures/hardware/x86-4gb-cpu.json");
const tag = process.env.MDNS_TEST_TAG ?? `cbm${process.pid}`;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let workDir = "";
let a: Host;
let b: Host;
const started: Proc[] = [];

/** `chaibox serve` on `host` (from dist/, as installed), named `name`; resolves once it said `ready`. */
async function serve(host: Host, name: string, port: number, ready: string, env: NodeJS.ProcessEnv = {}): Promise<Proc> {
  const dataDir = join(workDir, `data-${port}`);
  const proc = host.spawn(process.execPath, [cli, "serve", "--host", "0.0.0.0", "--port", String(port), "--data-dir", dataDir, "--hardware", hardware], {
    CHAIBOX_BOX_NAME: name,
    ...env,
  });
  started.push(proc);
  await until(`chaibox on port ${port} to log '${ready}'`, () => {
    if (proc.child.exitCode !== null) throw new Error(`chaibox exited: ${proc.output()}`);
    return proc.output().includes(ready);
  });
  return proc;
}

async function stop(proc: Proc): Promise<number | string> {
  proc.child.kill("SIGTERM");
  return proc.exited;
}

/** What B's avahi-daemon resolves for `type`, once `check` holds for it. */
function browseUntil(what: string, type: string, check: (services: Browsed[]) => boolean, ms?: number): Promise<Browsed[]> {
  return until(what, async () => {
    const services = await avahiBrowse(b, type);
    return check(services) && services;
  }, ms);
}

const has = (services: Browsed[], name: string, port: number) => services.some((s) => s.name === name && s.port === port);

async function discoverFromB(...args: string[]): Promise<DiscoveredServer[]> {
  return JSON.parse(await b.exec(process.execPath, [cli, "discover", "--json", "--timeout", "3", ...args])) as DiscoveredServer[];
}

/** Drives test/system/mdns/advertise.ts on A: advertise `from`, rename to `to`, close; B sees each step. */
async function renameAndClose(responder: string, from: string, to: string): Promise<void> {
  const driver = a.spawn(process.execPath, ["--import", "tsx", join(repo, "test/system/mdns/advertise.ts"), from, responder, to]);
  started.push(driver);
  await until("the advertiser", () => driver.output().includes(`started ${responder}`));
  await browseUntil(`${from} in B`, "_chai._tcp", (s) => s.some((e) => e.name === from && e.txt.name === from && e.port === 9999));
  driver.child.kill("SIGUSR1");
  await until("the update", () => driver.output().includes("updated"));
  const renamed = await browseUntil(`${to} in B`, "_chai._tcp", (s) => has(s, to, 9999) && !has(s, from, 9999));
  expect(renamed.find((s) => s.name === to)?.txt).toMatchObject({ name: to, id: "test-box-id" });
  expect(await stop(driver)).toBe(0);
  await browseUntil(`${to} to leave B`, "_chai._tcp", (s) => !has(s, to, 9999), 10_000);
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "chaibox-mdns-"));
  [a, b] = await createHosts(tag, workDir);
  await a.startAvahi();
  await b.startAvahi();
});

afterAll(async () => {
  for (const proc of started) if (proc.child.exitCode === null) proc.child.kill("SIGKILL");
  await Promise.all(started.map((proc) => proc.exited));
  await a?.stop();
  await b?.stop();
  await removeHosts(tag);
  await rm(workDir, { recursive: true, force: true });
});

describe("chaibox advertised through avahi-daemon", () => {
  let first: Proc;
  let second: Proc;

  it("is found and resolved from another host by avahi-browse, with every TXT key and the web UI", async () => {
    first = await serve(a, "kitchen", 8080, "advertised over mDNS");
    const chai = await browseUntil("kitchen in B", "_chai._tcp", (s) => has(s, "kitchen", 8080));
    const entry = chai.find((s) => s.name === "kitchen");
    expect(entry?.address).toBe(a.address);
    expect(entry?.txt).toEqual({ chai: "1.0", id: expect.stringMatching(uuid) as unknown, name: "kitchen", api: "/v1", wk: "/.well-known/chai", auth: "bearer" });
    const http = await browseUntil("kitchen's web UI in B", "_http._tcp", (s) => has(s, "kitchen", 8080));
    expect(http.find((s) => s.name === "kitchen")?.txt).toEqual({ path: "/" });
  });

  it("is listed by chaibox discover --json with every TXT key and its discovery document", async () => {
    const servers = await discoverFromB();
    const kitchen = servers.find((s) => s.name === "kitchen");
    expect(kitchen).toMatchObject({ addresses: [a.address], port: 8080, chaiVersion: "1.0", boxName: "kitchen", url: `http://${a.address}:8080` });
    expect(Object.keys(kitchen?.txt ?? {}).sort()).toEqual(["api", "auth", "chai", "id", "name", "wk"]);
    expect(kitchen?.boxId).toMatch(uuid);
    expect(kitchen?.discovery).toMatchObject({ chai_version: "1.0", box: { id: kitchen?.boxId, name: "kitchen" }, api_base: "/v1", server: { name: "chaibox" } });
  });

  it("is offered as a provider on the Settings screen of a box on another host (GET /admin/providers/discovered)", async () => {
    // The study box on B: /admin answers its own host when authentication is off.
    const study = await serve(b, "study", 8090, "chaibox is serving", { CHAIBOX_AUTH_REQUIRED: "false", CHAIBOX_MDNS: "off" });
    const fetchScript = "fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t))";
    const answer = JSON.parse(await b.exec(process.execPath, ["-e", fetchScript, "http://127.0.0.1:8090/admin/providers/discovered"])) as {
      data: { name: string; url: string; box_id: string | null; added: boolean }[];
    };
    const kitchen = answer.data.find((box) => box.name === "kitchen");
    expect(kitchen).toEqual({ name: "kitchen", url: `http://${a.address}:8080`, box_id: expect.stringMatching(uuid) as unknown, added: false });
    expect(answer.data.some((box) => box.name === "study")).toBe(false);
    expect(await stop(study)).toBe(0);
  });

  it("keeps two boxes of the same name apart: on one host and across the network", async () => {
    second = await serve(a, "kitchen", 8081, "advertised over mDNS");
    const third = await serve(b, "kitchen", 8082, "advertised over mDNS");
    const services = await browseUntil("three kitchens in B", "_chai._tcp", (s) => [8080, 8081, 8082].every((port) => s.some((e) => e.port === port)));
    const names = new Map(services.map((s) => [s.port, s.name]));
    expect(new Set(names.values()).size).toBe(3);
    expect(names.get(8080)).toBe("kitchen");
    expect(names.get(8081)).toMatch(/^kitchen #\d+$/);
    expect(new Set(services.map((s) => s.txt.id)).size).toBe(3);
    const listed = await discoverFromB();
    expect(listed.filter((s) => s.boxName === "kitchen").map((s) => s.port).sort()).toEqual([8080, 8081, 8082]);
    expect(await stop(third)).toBe(0);
  });

  it("reappears after avahi-daemon restarts, without restarting chaibox", async () => {
    await a.stopAvahi();
    await browseUntil("A's services to leave B", "_chai._tcp", (s) => !s.some((e) => e.address === a.address));
    await a.startAvahi();
    await browseUntil("A's services back in B", "_chai._tcp", (s) => has(s, "kitchen", 8080) && s.some((e) => e.port === 8081 && /^kitchen #\d+$/.test(e.name)));
    expect(first.child.exitCode).toBeNull();
    expect(second.child.exitCode).toBeNull();
  });

  it("frees its entries on SIGTERM and exits 0", async () => {
    expect(await stop(second)).toBe(0);
    expect(second.output()).toContain("shutting down");
    expect(second.output()).toContain("the Avahi entries are freed");
    // Gone within seconds: withdrawn with goodbye packets, not left to expire (Avahi's TTL is 75 minutes).
    await browseUntil("port 8081 to leave B", "_chai._tcp", (s) => !s.some((e) => e.port === 8081), 10_000);
  });

  it("update(name) republishes under the new name with the new TXT, close() withdraws it", () => renameAndClose("avahi", "study", "living room"));
});

describe("the host name Avahi holds", () => {
  it("is the one the connect screen and the console show, also after a host name collision renamed it", async () => {
    // B's avahi-daemon takes A's host name: A holds it already, so B's becomes "<A's name>-2".
    await b.stopAvahi();
    await b.startAvahi(a.ns);
    const runtimeDir = join(workDir, "run-8083");
    const proc = await serve(b, "attic", 8083, "advertised over mDNS", { RUNTIME_DIRECTORY: runtimeDir });
    const held = `${a.ns}-2.local`;
    await until("chaibox to learn the host name", () => proc.output().includes(`avahi-daemon holds the host name ${held}`));
    // /admin/connect with the admin key of this run (server.json), from the box itself.
    const { adminKey } = JSON.parse(await readFile(join(workDir, "data-8083", "server.json"), "utf8")) as { adminKey: string };
    const connect = JSON.parse(
      await b.exec(process.execPath, ["-e", `fetch("http://127.0.0.1:8083/admin/connect", { headers: { authorization: "Bearer ${adminKey}" } }).then((r) => r.text()).then(console.log)`]),
    ) as { mdns: { host: string } };
    expect(connect.mdns.host).toBe(held);
    expect(await until("the console text", () => readFile(join(runtimeDir, "console.txt"), "utf8").catch(() => undefined))).toContain(`http://${held}:8083`);
    expect(await stop(proc)).toBe(0);
    await b.stopAvahi();
    await b.startAvahi();
  });
});

describe("chaibox without Avahi on the bus", () => {
  it("advertises with the embedded responder, found from another host by avahi-browse and by chaibox discover with and without Avahi", async () => {
    await a.stopAvahi();
    const garage = await serve(a, "garage", 8083, "advertised over mDNS", { CHAIBOX_MDNS: "auto" });
    expect(garage.output()).toContain("using the embedded mDNS responder");
    const services = await browseUntil("garage in B", "_chai._tcp", (s) => has(s, "garage", 8083));
    expect(services.find((s) => s.name === "garage")?.txt).toEqual({ chai: "1.0", id: expect.stringMatching(uuid) as unknown, name: "garage", api: "/v1", wk: "/.well-known/chai", auth: "bearer" });
    const viaAvahi = (await discoverFromB()).find((s) => s.name === "garage");
    expect(viaAvahi).toMatchObject({ port: 8083, addresses: [a.address], discovery: { box: { name: "garage" } } });
    // A host without Avahi: discover falls back to its JavaScript browser.
    await b.stopAvahi();
    const viaJs = (await discoverFromB()).find((s) => s.name === "garage");
    expect(viaJs).toMatchObject({ port: 8083, boxId: viaAvahi?.boxId, txt: viaAvahi?.txt, discovery: { box: { id: viaAvahi?.boxId } } });
    expect(viaJs?.addresses).toContain(a.address);
    await b.startAvahi();
    await browseUntil("garage in B again", "_chai._tcp", (s) => has(s, "garage", 8083));
    expect(await stop(garage)).toBe(0);
    await browseUntil("garage to leave B", "_chai._tcp", (s) => !has(s, "garage", 8083), 10_000);
  });

  it("update(name) republishes under the new name with the new TXT, close() withdraws it", () => renameAndClose("embedded", "attic", "cellar"));
});
