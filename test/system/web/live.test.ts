/**
 * Live screens in Chromium at phone size: a pairing request shows on the open Apps screen within 2 s without
 * a reload; a pairing link opened while signed out says which app asks and, after sign-in, opens the
 * approval; the connect step tells the truth about mDNS (off on test servers).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../helpers/server.js";
import { openPhone, type Phone } from "./phone.js";

const PASSWORD = "correct horse battery";
let server: TestServer;
let phone: Phone;

const askToPair = async (name: string) => {
  const response = await fetch(`${server.url}/chai/v1/pairings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ app_name: name }) });
  return (await response.json()) as { user_code: string; verification_uri_complete: string };
};

beforeAll(async () => {
  server = await startTestServer({ models: {}, auth: true });
  phone = await openPhone();
  const { page } = phone;
  await page.goto(server.url);
  await page.getByLabel("Setup code").fill(server.auth.account.setupCode() ?? "");
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByLabel("Admin password").fill(PASSWORD);
  await page.getByLabel("Repeat the password").fill(PASSWORD);
  await page.getByRole("button", { name: "Save and continue" }).click();
  await page.getByRole("button", { name: "See the models that fit" }).click();
  await page.getByRole("button", { name: "Skip for now" }).click();
});

afterAll(async () => {
  await phone?.close();
  await server?.dispose();
});

describe("live screens", () => {
  it("says mDNS is off when it is", async () => {
    const { page } = phone;
    const mdns = page.locator(".mdns");
    await mdns.waitFor();
    expect(await mdns.getAttribute("data-responder")).toBe("none");
    expect(await mdns.textContent()).toMatch(/^Off: /);
    await page.getByRole("button", { name: "Say hello to your box" }).click();
  });

  it("shows a new pairing request on the open Apps screen within 2 s", async () => {
    const { page } = phone;
    await page.getByRole("link", { name: "Apps", exact: true }).click();
    await page.getByRole("heading", { name: "Apps", level: 1 }).waitFor();
    await page.getByText("No app is asking right now.").waitFor();
    const asked = Date.now();
    const grant = await askToPair("Live app");
    const row = page.locator("li.pairing", { hasText: "Live app" });
    await row.waitFor({ timeout: 2000 });
    const seconds = (Date.now() - asked) / 1000;
    expect(seconds).toBeLessThan(2);
    expect(await row.locator(".user-code").textContent()).toBe(grant.user_code);
    expect(await phone.check("40-pairing-live")).toEqual([]);
    await row.getByRole("button", { name: "Deny" }).click();
    await row.waitFor({ state: "detached" });
  });

  it("names the app on a pairing link opened signed out, and opens the approval after sign-in", async () => {
    const { page } = phone;
    const grant = await askToPair("Doorbell app");
    await page.context().clearCookies();
    await page.goto(grant.verification_uri_complete);
    await page.getByLabel("Admin password").waitFor();
    expect(await page.locator(".intro").textContent()).toContain("“Doorbell app” asks to use this box");
    expect(await phone.check("41-pairing-link-signed-out")).toEqual([]);
    await page.getByLabel("Admin password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    const row = page.locator("li.pairing", { hasText: "Doorbell app" });
    await row.waitFor();
    expect(await row.locator(".user-code").textContent()).toBe(grant.user_code);
  });
});
