/**
 * The amd64 disk image as an owner meets it, from outside only (no shell, no journal): a copy of the built
 * image, enlarged, booted in qemu (q35, TCG, OVMF). The setup code is read from the serial console; Chromium
 * at a phone's size finishes the first run over a port forward, pulls a model from a file server on this
 * host (reached through qemu's guestfwd: the box's configuration is pointed at a local catalog, as at a
 * mirror), approves an app's pairing, and the app chats with its token. After a power-off, the same disk
 * boots on a bridged tap interface: everything is still there, and another computer on that LAN finds the
 * box with `chaibox discover` and resolves chaibox.local to it.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DiscoveredServer } from "../../src/client/servers.js";
import { testCatalogEntry } from "../helpers/catalog.js";
import { sha256Of, startFileServer, type FileServer } from "../helpers/file-server.js";
import { testModelPath } from "../helpers/models.js";
import { openPhone, type Phone } from "../system/web/phone.js";
import { diskFromImage, readRootFile, rootPartitionBytes, writeRootFiles } from "./disk.js";
import { Lan } from "./lan.js";
import { Vm } from "./vm.js";

const image = process.env.IMAGE ?? "";
const tag = process.env.IMAGE_TEST_TAG ?? `cbi${process.pid}`;
const cli = new URL("../../dist/src/cli/main.js", import.meta.url).pathname;
const PASSWORD = "correct horse battery";
const HOST_PORT = 18080;
// The acceptance limit from power-on to READY. IMAGE_READY_LIMIT_S raises it only for a machine too busy to
// emulate a PC at speed; the figure is printed either way.
const READY_LIMIT_MS = Number(process.env.IMAGE_READY_LIMIT_S ?? 90) * 1000;
const GiB = 1024 ** 3;

let dir = "";
let disk = "";
let originalRootBytes = 0;
let files: FileServer;
let phone: Phone;
let vm: Vm | undefined;
let lan: Lan | undefined;
const base = `http://127.0.0.1:${HOST_PORT}`;
const figures: Record<string, string> = {};
// What the first boot leaves, checked after the reboot.
let boxId = "";
let appToken = "";

/** Polls GET `<url>/health` until it answers 200; returns the milliseconds since power-on. */
async function untilServing(machine: Vm, url: string, ms: number): Promise<number> {
  const deadline = machine.startedAt + ms;
  for (;;) {
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (ok) return Date.now() - machine.startedAt;
    const stopped = machine.stopped();
    if (stopped !== undefined || Date.now() > deadline) {
      throw new Error(`${stopped ?? `chaibox did not answer on ${url} within ${ms} ms of power-on`}; serial:\n${(await machine.serial()).slice(-3000)}`);
    }
    await sleep(250);
  }
}

beforeAll(async () => {
  expect(image, "IMAGE (the .img.zst under test)").not.toBe("");
  dir = await mkdtemp(join(tmpdir(), "chaibox-image-test-"));
  disk = await diskFromImage(image, dir, 4);
  originalRootBytes = await rootPartitionBytes(disk);

  // The model, from a file server on this host that the guest reaches at 10.0.2.100:80 (qemu's guestfwd runs
  // socat per connection); the catalog names it. Both go into the copy's configuration.
  const model = await readFile(testModelPath("tiny"));
  files = await startFileServer({ "/test/tiny-chat/resolve/main/tiny.gguf": { body: model } });
  const catalog = { version: 1, models: [testCatalogEntry([{ quant: "Q8_0", uri: "hf:test/tiny-chat/tiny.gguf", sizeBytes: model.length, sha256: sha256Of(model) }], { name: "Tiny chat" })] };
  const config = await readRootFile(disk, "/etc/chaibox/config.yaml");
  expect(config).toMatch(/port: 80/);
  await writeRootFiles(disk, dir, {
    "/etc/chaibox/config.yaml": `${config}\nmodels:\n  catalogFile: /etc/chaibox/test-catalog.json\n  hfEndpoint: http://10.0.2.100\n`,
    "/etc/chaibox/test-catalog.json": JSON.stringify(catalog),
    // networkd's own lines (links, DHCP) on the serial console too, for a failure's message: the image boots
    // quiet, and the test sees nothing else from inside the box. (Its log goes to stderr, which systemd copies
    // to the journal and the console.)
    "/etc/systemd/system/systemd-networkd.service.d/console-log.conf": "[Service]\nEnvironment=SYSTEMD_LOG_TARGET=console\nStandardError=journal+console\n",
  });
  phone = await openPhone();
});

afterAll(async () => {
  console.log(`image test figures: ${JSON.stringify(figures)}`);
  await vm?.kill();
  await phone?.close();
  await files?.close();
  await lan?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe("the amd64 image in qemu", () => {
  it("boots to READY, shows the setup code on the serial console, and has grown its root", async () => {
    const fileServerPort = new URL(files.origin).port;
    vm = new Vm({
      arch: "amd64",
      disk,
      dir,
      net: ["-netdev", `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${HOST_PORT}-:80,guestfwd=tcp:10.0.2.100:80-cmd:socat STDIO TCP:127.0.0.1:${fileServerPort}`,
        "-device", "virtio-net-pci,netdev=n0"],
    });
    await vm.start();
    const readyMs = await untilServing(vm, base, READY_LIMIT_MS);
    figures.firstBootReadyMs = String(readyMs);
    console.log(`first boot: chaibox answered ${readyMs} ms after power-on`);
    // The id first: a boot that answers but misses the limit fails here, not again in the power-off test.
    const discovery = (await (await fetch(`${base}/.well-known/chai`)).json()) as { box: { id: string } };
    boxId = discovery.box.id;
    expect(boxId).toMatch(/^[0-9a-f-]{36}$/);
    expect(readyMs).toBeLessThan(READY_LIMIT_MS);
  });

  it("reads the setup code from the serial console and finishes the first run on a phone", async () => {
    const shown = await vm!.waitForSerial(/Setup code: ([A-Z0-9]+(?:-[A-Z0-9]+)*)/, 60_000);
    figures.setupCodeOnSerialMs = String(Date.now() - vm!.startedAt);
    const code = shown[1] ?? "";
    const { page } = phone;
    await page.goto(base);
    await page.getByLabel("Setup code").fill(code);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByLabel("Box name").fill("Living room box");
    await page.getByLabel("Admin password").fill(PASSWORD);
    await page.getByLabel("Repeat the password").fill(PASSWORD);
    await page.getByRole("button", { name: "Save and continue" }).click();
    await page.getByRole("button", { name: "See the models that fit" }).click({ timeout: 60_000 });
    const choice = page.locator(".choice", { hasText: "Tiny chat" });
    await choice.waitFor({ timeout: 60_000 });
    expect(await choice.locator("input").isChecked()).toBe(true);
    await page.getByRole("button", { name: "Download" }).click();
    await page.getByText("All downloads are done.").waitFor({ timeout: 120_000 });
    expect(files.gets("/test/tiny-chat/resolve/main/tiny.gguf").length).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.locator(".qr svg").waitFor();
    expect(await phone.check("image-01-connect")).toEqual([]);
    // The first run ends on the Chat screen; the dashboard carries the box's new name.
    await page.getByRole("button", { name: "Say hello to your box" }).click();
    // The Chat screen lists the models first: the new model's first description takes a while under TCG.
    await page.getByRole("heading", { name: "Chat", level: 1 }).waitFor({ timeout: 120_000 });
    await page.goto(`${base}/#/dashboard`);
    await page.getByRole("heading", { name: "Living room box" }).waitFor();

    // The root file system filled the enlarged disk on first boot (systemd-repart, then systemd-growfs).
    const status = (await (await page.request.get(`${base}/admin/status`)).json()) as { disk: { totalBytes: number } };
    figures.rootBytes = `${originalRootBytes} -> ${status.disk.totalBytes}`;
    expect(status.disk.totalBytes).toBeGreaterThan(originalRootBytes + 3 * GiB);
  });

  it("pairs an app approved on the phone, and the app chats with its token", async () => {
    const { page } = phone;
    const request = await fetch(`${base}/chai/v1/pairings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ app_name: "Garden app" }) });
    expect(request.status).toBe(200);
    const grant = (await request.json()) as { device_code: string; user_code: string };
    await page.goto(`${base}/pair`);
    const pending = page.locator("li.pairing", { hasText: "Garden app" });
    await pending.waitFor({ timeout: 30_000 });
    expect(await pending.locator(".user-code").textContent()).toBe(grant.user_code);
    await pending.getByRole("button", { name: "Approve" }).click();
    await pending.waitFor({ state: "detached" });
    const poll = await fetch(`${base}/chai/v1/pairings/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ device_code: grant.device_code }) });
    expect(poll.status).toBe(200);
    appToken = ((await poll.json()) as { access_token: string }).access_token;
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: appToken, timeout: 120_000 });
    const started = Date.now();
    const reply = await client.chat.completions.create({ model: "tiny-chat", messages: [{ role: "user", content: "Hello" }], max_tokens: 4 });
    figures.firstChatMs = String(Date.now() - started);
    expect(reply.choices[0]?.message.role).toBe("assistant");
  });

  it("keeps the box id, password, token and model after a power-off, and is found over mDNS on a LAN", async () => {
    await vm!.powerDown();
    lan = new Lan(tag, dir);
    await lan.create();
    vm = new Vm({ arch: "amd64", disk, dir, net: ["-netdev", `tap,id=n0,ifname=${lan.tap},script=no,downscript=no`, "-device", "virtio-net-pci,netdev=n0"] });
    await vm.start();
    const lease = await lan.leasedAddress(vm, READY_LIMIT_MS);
    figures.secondBootLeaseMs = String(lease.ms);
    const address = lease.address;
    const url = `http://${address}`;
    const readyMs = await untilServing(vm, url, READY_LIMIT_MS);
    figures.secondBootReadyMs = String(readyMs);

    const discovery = (await (await fetch(`${url}/.well-known/chai`)).json()) as { box: { id: string; name: string } };
    expect(discovery.box).toMatchObject({ id: boxId, name: "Living room box" });
    const login = (password: string) => fetch(`${url}/admin/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ password }) });
    expect((await login("not the password")).status).toBe(401);
    expect((await login(PASSWORD)).ok).toBe(true);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: appToken, timeout: 120_000 });
    expect((await client.models.list()).data.map((m) => m.id)).toContain("tiny-chat");
    const reply = await client.chat.completions.create({ model: "tiny-chat", messages: [{ role: "user", content: "Hello again" }], max_tokens: 4 });
    expect(reply.choices[0]?.message.role).toBe("assistant");

    // Another computer on the LAN: Avahi resolves chaibox.local to the VM, chaibox discover finds _chai._tcp.
    const computer = lan.computer;
    const resolved = await until(async () => (await computer.exec("avahi-resolve", ["-4", "-n", "chaibox.local"])).trim(), 30_000);
    expect(resolved.split(/\s+/)[1]).toBe(address);
    const found = await until(async () => {
      const servers = JSON.parse(await computer.exec(process.execPath, [cli, "discover", "--json", "--timeout", "3"])) as DiscoveredServer[];
      return servers.find((s) => s.boxId === boxId);
    }, 30_000);
    expect(found).toMatchObject({ port: 80, boxName: "Living room box" });
    expect(found.addresses).toContain(address);
    await vm.powerDown();
  });
});

/** Retries `check` until it returns a non-empty value, for up to `ms`. */
async function until<T>(check: () => Promise<T | undefined | "">, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== "") return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`gave up after ${ms} ms: ${String(last)}`);
    await sleep(1000);
  }
}
