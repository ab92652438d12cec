/**
 * The first run on different boxes, in Chromium at phone size: the model it ticks is one the fit says runs at
 * 10 tokens/s or more (a Raspberry Pi 5, an N100 mini PC, and this machine), never a test or embedding model;
 * the hardware is described in plain words with the details behind a toggle. Then a download that fails
 * (the model server is down) says why and offers Retry, which works once the server is up.
 */
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCatalogEntry, writeTestCatalog } from "../../helpers/catalog.js";
import { sha256Of, startFileServer, type FileServer } from "../../helpers/file-server.js";
import { testModelPath } from "../../helpers/models.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { openPhone, type Phone } from "./phone.js";

const PASSWORD = "correct horse battery";
const fixture = (name: string) => new URL(`../../fixtures/hardware/${name}.json`, import.meta.url).pathname;
let phone: Phone;

beforeAll(async () => {
  phone = await openPhone();
});
afterAll(async () => phone?.close());

/** Goes through the setup code and password to the hardware step. */
async function signUp(server: TestServer): Promise<void> {
  const { page } = phone;
  await page.context().clearCookies();
  await page.goto(server.url);
  await page.getByLabel("Setup code").fill(server.auth.account.setupCode() ?? "");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByLabel("Admin password").fill(PASSWORD);
  await page.getByLabel("Repeat the password").fill(PASSWORD);
  await page.getByRole("button", { name: "Save and continue" }).click();
  await page.getByRole("button", { name: "See the models that fit" }).waitFor();
}

interface Choice {
  ref: string;
  kind: string;
  tokens_per_second: number;
  preselected: boolean;
}

describe("the first run suits the box", () => {
  for (const [name, file] of [["raspberry-pi-5", fixture("raspberry-pi-5-8gb")], ["intel-n100", fixture("intel-n100-16gb")], ["this-machine", undefined]] as const) {
    it(`ticks a model that runs at 10 tokens/s or more on ${name}`, async () => {
      const server = await startTestServer({ models: {}, auth: true, ...(file !== undefined && { hardwareFile: file }) });
      try {
        await signUp(server);
        const { page } = phone;
        expect(await page.locator(".summary").textContent()).toMatch(/^\d+ cores, [\d.]+ GB memory(, .+)?: models (up to about|of about) [\d.]+B parameters run/);
        // The instruction-set flags are behind the details toggle.
        expect(await page.locator(".facts").isVisible()).toBe(false);
        await page.getByText("Details").click();
        expect(await page.locator(".facts").textContent()).toMatch(/SIMD/);
        expect(await phone.check(`30-hardware-${name}`)).toEqual([]);
        await page.getByRole("button", { name: "See the models that fit" }).click();
        await page.locator(".choice").first().waitFor();
        const ticked = page.locator(".choice", { has: page.locator("input:checked") });
        expect(await ticked.count()).toBe(1);
        const ref = await ticked.getAttribute("data-ref");
        const choices = (await page.evaluate<{ choices: Choice[] }>("fetch('/admin/recommendations').then((r) => r.json())")).choices;
        const chosen = choices.find((c) => c.ref === ref);
        expect(chosen).toMatchObject({ kind: "chat", preselected: true });
        expect(chosen?.tokens_per_second).toBeGreaterThanOrEqual(10);
        // Every card states its download size and time; no embedding model is offered to chat.
        expect(await ticked.locator(".size").textContent()).toMatch(/^[\d.]+ [MG]B download · about \d+ (s|min|h)/);
        const refs = await Promise.all((await page.locator(".choice").all()).map((card) => card.getAttribute("data-ref")));
        const embeddings = new Set(choices.filter((c) => c.kind === "embedding").map((c) => c.ref));
        expect(refs.filter((r) => embeddings.has(r ?? ""))).toEqual([]);
        expect(await page.locator(".choices").textContent()).not.toMatch(/random|demo/i);
        expect(await phone.check(`31-models-${name}`)).toEqual([]);
      } finally {
        await server.dispose();
      }
    });
  }
});

describe("a failed download", () => {
  let files: FileServer | undefined;
  let server: TestServer;
  let catalogDir: string;
  let port: number;

  beforeAll(async () => {
    // A port nothing listens on yet: the model server is "down" until the test starts it there.
    port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const model = await readFile(testModelPath("tiny"));
    catalogDir = await mkdtemp(join(tmpdir(), "chaibox-web-retry-"));
    const catalogFile = await writeTestCatalog(catalogDir, [
      testCatalogEntry([{ quant: "Q8_0", uri: "hf:test/tiny-chat/tiny.gguf", sizeBytes: model.length, sha256: sha256Of(model) }], { name: "Tiny chat" }),
    ]);
    server = await startTestServer({ models: {}, auth: true, modelsConfig: { catalogFile, hfEndpoint: `http://127.0.0.1:${port}`, freeSpaceReserve: 0, downloadRetries: 0 } });
  });
  afterAll(async () => {
    await server?.dispose();
    await files?.close();
    await rm(catalogDir, { recursive: true, force: true });
  });

  it("says why and offers Retry, which works once the server is up; Models keeps the failure with Retry and Dismiss", async () => {
    await signUp(server);
    const { page } = phone;
    await page.getByRole("button", { name: "See the models that fit" }).click();
    await page.getByRole("button", { name: "Download" }).click();
    const pull = page.locator(".pull");
    await expect.poll(() => pull.getAttribute("data-state"), { timeout: 30_000 }).toBe("failed");
    expect(await pull.locator(".hint").textContent()).toContain(`the connection to 127.0.0.1:${port} failed`);
    expect(await phone.check("32-download-failed")).toEqual([]);

    const model = await readFile(testModelPath("tiny"));
    files = await startFileServer({ "/test/tiny-chat/resolve/main/tiny.gguf": { body: model } }, { port });
    await pull.getByRole("button", { name: "Retry" }).click();
    await expect.poll(() => page.locator(".pull").getAttribute("data-state"), { timeout: 60_000 }).toBe("done");
    expect((await server.store.list()).map((m) => m.id)).toEqual(["tiny-chat"]);
    expect(await phone.check("33-download-retried")).toEqual([]);

    // A failure stays on the Models screen, with Retry and Dismiss, until dismissed.
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Say hello to your box" }).click();
    await files.close();
    files = undefined;
    const started = await page.evaluate<number>(`fetch('/admin/session').then((r) => r.json()).then((s) => fetch('/admin/models/pulls', {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf_token }, body: JSON.stringify({ ref: 'hf:test/other/other.gguf' }) })).then((r) => r.status)`);
    expect(started).toBe(202);
    await page.getByRole("link", { name: "Models", exact: true }).click();
    const failed = page.locator('.pull[data-state="failed"]');
    await expect.poll(async () => { await page.reload(); await page.getByRole("heading", { name: "Models", level: 1 }).waitFor(); return failed.count(); }, { timeout: 30_000 }).toBe(1);
    expect(await failed.locator(".hint").textContent()).toMatch(/the connection to .* failed/);
    expect(await failed.getByRole("button", { name: "Retry" }).isVisible()).toBe(true);
    expect(await phone.check("34-models-failed-download")).toEqual([]);
    await failed.getByRole("button", { name: "Dismiss" }).click();
    expect(await failed.count()).toBe(0);
    await page.reload();
    await page.getByRole("heading", { name: "Models", level: 1 }).waitFor();
    expect(await page.locator(".pull").count()).toBe(0);
  });
});
