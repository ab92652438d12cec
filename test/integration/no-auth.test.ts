/** `serve --no-auth`: the API is open (whatever key an app sends), a loud warning, /admin for this machine only. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = await startTestServer({ auth: false, models: { tiny: "tiny" }, logs });
});
afterAll(async () => server.dispose());

describe("--no-auth", () => {
  it("warns once at start that the API is open, and says so in the discovery document", async () => {
    expect(logs.filter((line) => String(line.msg).includes("AUTHENTICATION IS OFF"))).toHaveLength(1);
    const discovery = (await (await fetch(`${server.url}/.well-known/chai`)).json()) as { auth: { required: boolean } };
    expect(discovery.auth.required).toBe(false);
  });

  it("serves the API without a token, and with any key an app was configured with", async () => {
    expect((await fetch(`${server.baseURL}/models`)).status).toBe(200);
    expect((await fetch(`${server.baseURL}/models`, { headers: { authorization: "Bearer sk-anything" } })).status).toBe(200);
    expect((await fetch(`${server.url}/api/tags`, { headers: { authorization: "Bearer sk-anything" } })).status).toBe(200);
  });

  it("answers /admin only on this machine, or to the local CLI's key", async () => {
    const fromLan = await server.app.inject({ url: "/admin/apps", remoteAddress: "192.168.1.50" });
    expect(fromLan.statusCode).toBe(403);
    expect(fromLan.json<{ error: { code: string } }>().error.code).toBe("forbidden");
    const withKey = await server.app.inject({ url: "/admin/apps", remoteAddress: "192.168.1.50", headers: { authorization: `Bearer ${server.localKey}` } });
    expect(withKey.statusCode).toBe(200);
    expect((await fetch(`${server.url}/admin/apps`)).status).toBe(200);
  });
});
