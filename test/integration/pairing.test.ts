/**
 * Pairing (docs/chai-v1.md §7) on a real chaibox: an app asks, the owner approves or denies through the admin
 * API, the app polls for its token and uses it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let admin: Record<string, string>;

beforeAll(async () => {
  server = await startTestServer({ auth: true, models: { tiny: "tiny" }, pairing: { intervalSeconds: 1 } });
  admin = { authorization: `Bearer ${server.auth.tokens.create("owner", "admin", "cli").token}` };
});
afterAll(async () => server.dispose());

async function post(url: string, body: unknown, headers: Record<string, string> = {}, contentType = "application/json") {
  const response = await fetch(`${server.url}${url}`, {
    method: "POST",
    headers: { "content-type": contentType, ...headers },
    body: contentType === "application/json" ? JSON.stringify(body) : new URLSearchParams(body as Record<string, string>).toString(),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

const errorCode = (result: { body: Record<string, unknown> }) => (result.body.error as { code?: string } | undefined)?.code;

interface Grant {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

async function requestPairing(name: string): Promise<Grant> {
  const result = await post("/chai/v1/pairings", { app_name: name, app_id: "org.example.test" });
  expect(result.status).toBe(200);
  return result.body as unknown as Grant;
}

describe("pairing", () => {
  it("gives the app its token once the owner approves, exactly once", async () => {
    const grant = await requestPairing("Kitchen display");
    expect(grant.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(grant.verification_uri).toBe(`${server.url}/pair`);
    expect(grant.verification_uri_complete).toBe(`${server.url}/pair?user_code=${grant.user_code}`);
    expect(grant).toMatchObject({ expires_in: 600, interval: 1 });

    const pending = await post("/chai/v1/pairings/token", { device_code: grant.device_code });
    expect(pending.status).toBe(400);
    expect(errorCode(pending)).toBe("authorization_pending");

    // The owner sees the app's name and its code, and approves.
    const list = (await (await fetch(`${server.url}/admin/pairings`, { headers: admin })).json()) as { data: { id: string; app_name: string; user_code: string }[] };
    const request = list.data.find((p) => p.user_code === grant.user_code);
    expect(request).toMatchObject({ app_name: "Kitchen display", app_id: "org.example.test", client_address: "127.0.0.1" });
    expect((await post(`/admin/pairings/${request!.id}/approve`, {}, admin)).body).toMatchObject({ status: "approved" });
    expect((await post(`/admin/pairings/${request!.id}/deny`, {}, admin)).status).toBe(404);

    await sleep(1000);
    const issued = await post("/chai/v1/pairings/token", { device_code: grant.device_code });
    expect(issued.status).toBe(200);
    expect(issued.headers.get("cache-control")).toBe("no-store");
    expect(issued.body).toMatchObject({ token_type: "bearer", scope: "inference" });
    expect(issued.body.access_token).toMatch(/^chai_/);
    const models = await fetch(`${server.baseURL}/models`, { headers: { authorization: `Bearer ${String(issued.body.access_token)}` } });
    expect(models.status).toBe(200);

    await sleep(1000);
    expect(errorCode(await post("/chai/v1/pairings/token", { device_code: grant.device_code }))).toBe("invalid_grant");
    const apps = (await (await fetch(`${server.url}/admin/apps`, { headers: admin })).json()) as { data: { name: string; source: string; requests: number }[] };
    expect(apps.data.find((a) => a.name === "Kitchen display")).toMatchObject({ source: "pairing", requests: 1 });
  });

  it("answers access_denied once the owner denies, and slow_down to an app that polls too often", async () => {
    const grant = await requestPairing("Unknown gadget");
    const { data } = (await (await fetch(`${server.url}/admin/pairings`, { headers: admin })).json()) as { data: { id: string; user_code: string }[] };
    const id = data.find((p) => p.user_code === grant.user_code)!.id;
    // RFC 8628's form encoding works too.
    const form = { device_code: grant.device_code, grant_type: "urn:ietf:params:oauth:grant-type:device_code" };
    expect(errorCode(await post("/chai/v1/pairings/token", form, {}, "application/x-www-form-urlencoded"))).toBe("authorization_pending");
    const tooSoon = await post("/chai/v1/pairings/token", { device_code: grant.device_code });
    expect(errorCode(tooSoon)).toBe("slow_down");
    expect((tooSoon.body.error as { message: string }).message).toMatch(/6 seconds/);

    await post(`/admin/pairings/${id}/deny`, {}, admin);
    expect(errorCode(await post("/chai/v1/pairings/token", { device_code: grant.device_code }))).toBe("access_denied");
    expect(errorCode(await post("/chai/v1/pairings/token", { device_code: "dc_unknown" }))).toBe("invalid_grant");
  });

  it("needs the owner: inference tokens cannot list or approve pairing requests", async () => {
    const grant = await requestPairing("Sneaky app");
    const inference = { authorization: `Bearer ${server.auth.tokens.create("other app", "inference", "cli").token}` };
    expect((await fetch(`${server.url}/admin/pairings`, { headers: inference })).status).toBe(403);
    expect((await fetch(`${server.url}/admin/pairings`)).status).toBe(401);
    const id = server.auth.pairings.pending().find((p) => p.userCode === grant.user_code)!.id;
    expect((await post(`/admin/pairings/${id}/approve`, {}, inference)).status).toBe(403);
    expect(errorCode(await post("/chai/v1/pairings/token", { device_code: grant.device_code }))).toBe("authorization_pending");
  });

  it("rate-limits pairing requests per client address", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await server.app.inject({ method: "POST", url: "/chai/v1/pairings", remoteAddress: "10.0.0.5", payload: { app_name: `flood ${i}` } });
      statuses.push(response.statusCode);
    }
    // Three may wait per address (the per-address cap); past it, and past 10 a minute, 429.
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.slice(3).every((s) => s === 429)).toBe(true);
  });
});
