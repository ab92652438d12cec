/**
 * The web UI on a phone, against a real chaibox with authentication on: the whole first run (setup code,
 * password, hardware, recommendations, a download from a local model server with live progress, how to
 * connect), approving an app's pairing request, setting the app's monthly budget, revoking the app, and
 * adding another box as a provider. Every screen is screenshotted and
 * checked for sideways scrolling, small tap targets and small input text.
 */
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuildStateFile } from "../../../src/engine/native/build-state.js";
import { testCatalogEntry, writeTestCatalog } from "../../helpers/catalog.js";
import { sha256Of, startFileServer, type FileServer } from "../../helpers/file-server.js";
import { testModelPath } from "../../helpers/models.js";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { openPhone, type Phone } from "./phone.js";

const PASSWORD = "correct horse battery";
let files: FileServer;
let server: TestServer;
let phone: Phone;
let catalogDir: string;
let appToken: string;

beforeAll(async () => {
  const model = await readFile(testModelPath("tiny"));
  // Slow enough that the progress bar is seen moving, fast enough for a test (~3 s).
  files = await startFileServer({ "/test/tiny-chat/resolve/main/tiny.gguf": { body: model, bytesPerSecond: Math.ceil(model.length / 3) } });
  catalogDir = await mkdtemp(join(tmpdir(), "chaibox-web-catalog-"));
  // The engine's build state goes here (this file runs in a process of its own): the dashboard shows it.
  process.env.CHAIBOX_ENGINE_DIR = catalogDir;
  const catalogFile = await writeTestCatalog(catalogDir, [
    testCatalogEntry([{ quant: "Q8_0", uri: "hf:test/tiny-chat/tiny.gguf", sizeBytes: model.length, sha256: sha256Of(model) }], { name: "Tiny chat" }),
  ]);
  server = await startTestServer({
    models: {},
    auth: true,
    pairing: { intervalSeconds: 1 },
    modelsConfig: { catalogFile, hfEndpoint: files.origin, freeSpaceReserve: 0 },
  });
  phone = await openPhone();
});

afterAll(async () => {
  await phone?.close();
  await server?.dispose();
  await files?.close();
  await rm(catalogDir, { recursive: true, force: true });
});

describe("the web UI on a phone", () => {
  it("takes the owner through the first run, the setup code first", async () => {
    const { page } = phone;
    await page.goto(server.url);
    await page.getByLabel("Setup code").waitFor();
    expect(await phone.check("01-setup-code")).toEqual([]);

    await page.getByLabel("Setup code").fill("WRONG-CODE");
    await page.getByRole("button", { name: "Continue" }).click();
    await expect.poll(() => page.locator(".notice").textContent()).toMatch(/setup code/i);
    const code = server.auth.account.setupCode();
    expect(code).toBeDefined();
    await page.getByLabel("Setup code").fill(code ?? "");
    await page.getByRole("button", { name: "Continue" }).click();

    await page.getByLabel("Box name").fill("Kitchen box");
    await page.getByLabel("Admin password").fill(PASSWORD);
    await page.getByLabel("Repeat the password").fill(PASSWORD);
    expect(await phone.check("02-name-and-password")).toEqual([]);
    await page.getByRole("button", { name: "Save and continue" }).click();

    await page.getByRole("button", { name: "See the models that fit" }).waitFor();
    await expect.poll(() => page.locator(".facts li").count()).toBeGreaterThan(0);
    expect(await page.locator(".facts").textContent()).toMatch(/CPU/);
    expect(await phone.check("03-hardware")).toEqual([]);
    await page.getByRole("button", { name: "See the models that fit" }).click();

    const choice = page.locator(".choice", { hasText: "Tiny chat" });
    await choice.waitFor();
    expect(await choice.locator("input").isChecked()).toBe(true);
    expect(await phone.check("04-recommended-models")).toEqual([]);
    await page.getByRole("button", { name: "Download" }).click();

    // The bar moves while the file arrives, then the download ends installed.
    const bar = page.locator(".pull progress");
    // A progress element's value property reflects its attribute.
    const value = async () => Number(await bar.getAttribute("value"));
    await expect.poll(value, { timeout: 15_000, interval: 100 }).toBeGreaterThan(0);
    const midway = await value();
    expect(midway).toBeLessThan(1);
    expect(await phone.check("05-downloading")).toEqual([]);
    await page.getByText("All downloads are done.").waitFor({ timeout: 60_000 });
    expect(await page.locator(".pull").getAttribute("data-state")).toBe("done");
    expect((await server.store.list()).map((m) => m.id)).toEqual(["tiny-chat"]);
    await page.getByRole("button", { name: "Continue" }).click();

    await page.locator(".qr svg").waitFor();
    expect(await page.locator(".connect").textContent()).toContain(server.url);
    expect(await phone.check("06-connect-apps")).toEqual([]);
    // The first run ends on the Chat screen, which streams a reply from the new model through /v1.
    await page.getByRole("button", { name: "Say hello to your box" }).click();
    await page.getByRole("heading", { name: "Chat", level: 1 }).waitFor();
    expect(await page.locator(".greeting").textContent()).toMatch(/Say hello to your box/);
    expect(await page.getByLabel("Model").inputValue()).toBe("tiny-chat");
    await page.getByLabel("Message").fill("Hello box");
    await page.getByRole("button", { name: "Send" }).click();
    const reply = page.locator('.bubble[data-role="assistant"]').last();
    // Streaming: text shows while the reply is still running, then it ends with a measured speed.
    await expect.poll(async () => (await reply.textContent())?.length ?? 0, { timeout: 30_000, interval: 50 }).toBeGreaterThan(0);
    await expect.poll(() => reply.getAttribute("data-state"), { timeout: 60_000 }).toMatch(/done|stopped/);
    expect(await page.locator(".speed").textContent()).toMatch(/\d+ tokens · [\d.]+ tokens\/s/);
    expect(await phone.check("06b-chat")).toEqual([]);

    // Stop ends a reply early; New conversation empties the transcript.
    await page.getByLabel("Message").fill("Tell me a long story");
    await page.getByRole("button", { name: "Send" }).click();
    const second = page.locator('.bubble[data-role="assistant"]').last();
    await expect.poll(async () => (await second.textContent())?.length ?? 0, { timeout: 30_000, interval: 20 }).toBeGreaterThan(0);
    // The growing reply moves the button while it streams: dispatch the tap rather than wait for it to rest.
    await page.getByRole("button", { name: "Stop" }).dispatchEvent("click");
    await expect.poll(() => second.getAttribute("data-state")).toMatch(/stopped|done/);
    await page.getByRole("button", { name: "New conversation" }).click();
    expect(await page.locator(".bubble").count()).toBe(0);

    // The engine compiling for this CPU (first boot): the dashboard shows its progress and follows it.
    const build = new BuildStateFile("[1/3] preparing");
    build.update("  compiling 116/277 (42%)", 42);
    await build.written();
    await page.getByRole("link", { name: "Home", exact: true }).click();
    await page.getByRole("heading", { name: "Kitchen box" }).waitFor();
    const engine = page.locator("#engine");
    await expect.poll(() => engine.textContent()).toMatch(/Compiling the inference engine for this CPU: 42%/);
    expect(await engine.getByRole("progressbar", { name: "Engine compiled" }).evaluate((bar) => (bar as unknown as { value: number }).value)).toBe(42);
    expect(await phone.check("07-dashboard")).toEqual([]);
    build.update("  compiling 158/277 (57%)", 57);
    await build.written();
    await expect.poll(() => engine.textContent(), { timeout: 15_000 }).toMatch(/: 57%/);
    await build.remove();
    await expect.poll(() => engine.textContent(), { timeout: 15_000 }).toMatch(/^Engine(Built for this CPU|The prebuilt engine)/);
    expect(server.auth.account.setupCode()).toBeUndefined();
  });

  it("approves an app's pairing request, and the app then chats with its token", async () => {
    const { page } = phone;
    const request = await fetch(`${server.url}/chai/v1/pairings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ app_name: "Garden app" }) });
    const grant = (await request.json()) as { device_code: string; user_code: string };
    // The page an app sends the owner to (verification_uri) opens on the Apps screen.
    await page.goto(`${server.url}/pair`);
    const pending = page.locator("li.pairing", { hasText: "Garden app" });
    await pending.waitFor();
    expect(await pending.locator(".user-code").textContent()).toBe(grant.user_code);
    expect(await phone.check("08-pairing-request")).toEqual([]);
    await pending.getByRole("button", { name: "Approve" }).click();
    await pending.waitFor({ state: "detached" });

    // The app's next poll gets its token; only then is it a paired app.
    const poll = await fetch(`${server.url}/chai/v1/pairings/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ device_code: grant.device_code }) });
    const answer = (await poll.json()) as { access_token?: string };
    expect(poll.status).toBe(200);
    appToken = answer.access_token ?? "";
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: appToken });
    const reply = await client.chat.completions.create({ model: "tiny-chat", messages: [{ role: "user", content: "Hello" }], max_tokens: 4 });
    expect(reply.choices[0]?.message.role).toBe("assistant");
    await page.reload();
    await expect.poll(() => page.locator('li[data-app="Garden app"]').textContent()).toMatch(/1 request\(s\) · [1-9][\d,]* tokens/);
    expect(await phone.check("09-apps-paired")).toEqual([]);
  });

  it("sets the app's monthly budget, shows this month's spending against it, and clears it", async () => {
    const { page } = phone;
    const row = page.locator('li[data-app="Garden app"]');
    const month = new Date().toISOString().slice(0, 7);
    // The app chatted with a local model: free.
    expect(await row.locator(".spending").textContent()).toBe(`This month (${month}): 0 USD spent · no budget`);
    await row.getByLabel("Monthly budget (USD)").fill("2.5");
    await row.getByRole("button", { name: "Save budget" }).click();
    await expect.poll(() => page.locator('li[data-app="Garden app"] .spending').textContent()).toBe(`This month (${month}): 0 USD spent of a 2.50 USD budget · 2.50 USD left`);
    expect(await row.getByLabel("Monthly budget (USD)").inputValue()).toBe("2.5");
    const id = server.auth.tokens.list().find((token) => token.name === "Garden app")?.id ?? "";
    expect(server.budgets.standing(id)).toMatchObject({ budgetUsd: 2.5, remainingUsd: 2.5 });
    expect(await phone.check("09b-app-budget")).toEqual([]);
    // An empty field clears the budget.
    await row.getByLabel("Monthly budget (USD)").fill("");
    await row.getByRole("button", { name: "Save budget" }).click();
    await expect.poll(() => page.locator('li[data-app="Garden app"] .spending').textContent()).toMatch(/no budget$/);
    expect(server.budgets.standing(id).budgetUsd).toBeNull();
  });

  it("revokes the app, whose next request fails with 401", async () => {
    const { page } = phone;
    const row = page.locator('li[data-app="Garden app"]');
    await row.getByRole("button", { name: "Revoke" }).click();
    await row.waitFor({ state: "detached" });
    expect(await phone.check("10-app-revoked")).toEqual([]);
    const client = new OpenAI({ baseURL: server.baseURL, apiKey: appToken, maxRetries: 0 });
    await expect(client.models.list()).rejects.toMatchObject({ status: 401 });
  });

  it("adds another box as a provider from Settings: the code to approve shows, and the card follows the pairing", async () => {
    const { page } = phone;
    const study = await startTestServer({ auth: true, pairing: { intervalSeconds: 1 } });
    try {
      await page.getByRole("link", { name: "Settings", exact: true }).click();
      await page.getByRole("heading", { name: "Providers" }).waitFor();
      await page.getByLabel("Provider kind").selectOption("chai");
      await page.getByLabel("Provider id").fill("study");
      await page.getByLabel("Provider address").fill(study.url);
      await page.getByLabel("Provider name").fill("Study box");
      await page.getByRole("button", { name: "Add provider" }).click();
      const card = page.locator('li[data-provider="study"]');
      await expect.poll(() => card.locator(".user-code").textContent()).toMatch(/\S/);
      expect(await phone.check("11-provider-pairing")).toEqual([]);

      // The study box's owner approves the code the card shows.
      const code = await card.locator(".user-code").textContent();
      const admin = { authorization: `Bearer ${study.auth.tokens.create("owner", "admin", "cli").token}`, "content-type": "application/json" };
      const pending = (await (await fetch(`${study.url}/admin/pairings`, { headers: admin })).json()) as { data: { id: string; user_code: string }[] };
      const request = pending.data.find((p) => p.user_code === code);
      expect((await fetch(`${study.url}/admin/pairings/${request?.id}/approve`, { method: "POST", headers: admin, body: "{}" })).status).toBe(200);
      await expect.poll(() => card.getAttribute("data-status"), { timeout: 20_000 }).toBe("ready");
      expect(await card.textContent()).toMatch(/Study box.*ready.*1 model\(s\)/);
      expect(await phone.check("11-provider-ready")).toEqual([]);
      await card.getByRole("button", { name: "Remove" }).click();
      await card.waitFor({ state: "detached" });
    } finally {
      await study.dispose();
    }
  });

  it("shows every admin screen without layout problems, and signs out and in again", async () => {
    const { page } = phone;
    for (const [link, heading] of [["Models", "Models"], ["Settings", "Settings"], ["System", "System"], ["Home", "Kitchen box"]] as const) {
      await page.getByRole("link", { name: link, exact: true }).click();
      await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
      expect(await phone.check(`11-${link.toLowerCase()}`)).toEqual([]);
    }
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Admin password").waitFor();
    expect(await phone.check("12-sign-in")).toEqual([]);
    await page.getByLabel("Admin password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("navigation").waitFor();
  });
});
