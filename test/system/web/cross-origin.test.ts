/**
 * A browser app on another origin (a second local port): its page reads the box's discovery document, lists
 * the models with a bearer token and streams a chat, all through CORS. Then the same page tries the admin
 * API, which stays same-origin.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { openPhone, type Phone } from "./phone.js";

let server: TestServer;
let site: Server;
let siteUrl: string;
let phone: Phone;

// The app's page: plain script, as a developer would write it; results land in <pre id=…> for the test.
const appPage = `<!doctype html><meta charset="utf-8"><title>Garden app</title><body>
<pre id="discovery"></pre><pre id="models"></pre><pre id="chat"></pre><pre id="pieces"></pre><pre id="admin"></pre>
<script type="module">
const params = new URLSearchParams(location.search);
const box = params.get("box"), token = params.get("token");
const show = (id, text) => { document.getElementById(id).textContent = text; };
const info = await (await fetch(box + "/.well-known/chai")).json();
show("discovery", info.api_base);
const models = await (await fetch(box + "/v1/models", { headers: { authorization: "Bearer " + token } })).json();
show("models", models.data.map((m) => m.id).join(","));
const response = await fetch(box + "/v1/chat/completions", {
  method: "POST",
  headers: { authorization: "Bearer " + token, "content-type": "application/json" },
  body: JSON.stringify({ model: models.data[0].id, messages: [{ role: "user", content: "Hi" }], max_tokens: 8, stream: true }),
});
const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
let text = "", chunks = 0;
for (;;) { const { value, done } = await reader.read(); if (done) break; text += value; chunks++; }
show("pieces", String(text.split("\\n\\n").filter((e) => e.startsWith("data: {")).length));
show("chat", text.includes("data: [DONE]") ? "done" : "incomplete");
try { await fetch(box + "/admin/session"); show("admin", "readable"); } catch { show("admin", "blocked"); }
</script></body>`;

beforeAll(async () => {
  server = await startTestServer({ auth: true });
  site = createServer((_request, response) => response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(appPage));
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  siteUrl = `http://localhost:${(site.address() as AddressInfo).port}`;
  phone = await openPhone();
});

afterAll(async () => {
  await phone?.close();
  await new Promise((resolve) => site?.close(resolve));
  await server?.dispose();
});

describe("a web app on another origin", () => {
  it("reads discovery, lists models with a token and streams a chat; the admin API stays closed", async () => {
    const token = server.auth.tokens.create("Garden app", "inference", "cli").token;
    const { page } = phone;
    // localhost on another port: another origin than the box's 127.0.0.1 address.
    await page.goto(`${siteUrl}/?box=${encodeURIComponent(server.url)}&token=${encodeURIComponent(token)}`);
    await expect.poll(() => page.locator("#admin").textContent(), { timeout: 60_000 }).not.toBe("");
    expect(await page.locator("#discovery").textContent()).toBe("/v1");
    expect(await page.locator("#models").textContent()).toBe("tiny");
    expect(await page.locator("#chat").textContent()).toBe("done");
    expect(Number(await page.locator("#pieces").textContent())).toBeGreaterThan(1);
    expect(await page.locator("#admin").textContent()).toBe("blocked");
    expect(await phone.check("20-cross-origin-app")).toEqual([]);
  });
});
