/**
 * Cross-origin access over real HTTP, as a browser on another origin would see it: public discovery, the
 * token-only inference API, a same-origin admin API and web UI, preflights answered before auth, and the web
 * UI's security headers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

const ORIGIN = "http://other.example:3000";
let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer({ models: {}, auth: true });
  token = server.auth.tokens.create("web page", "inference", "cli").token;
});
afterAll(async () => server?.dispose());

const preflight = (path: string, method = "POST", headers = "authorization,content-type") =>
  fetch(`${server.url}${path}`, { method: "OPTIONS", headers: { origin: ORIGIN, "access-control-request-method": method, "access-control-request-headers": headers } });

describe("CORS", () => {
  it("lets any origin read discovery and health, without credentials", async () => {
    for (const path of ["/.well-known/chai", "/health"]) {
      const response = await fetch(`${server.url}${path}`, { headers: { origin: ORIGIN } });
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("answers a preflight of the inference API before auth, with the headers the page asks for", async () => {
    for (const path of ["/v1/chat/completions", "/api/chat", "/chai/v1/select"]) {
      const response = await preflight(path);
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(response.headers.get("access-control-allow-headers")).toBe("authorization,content-type");
      expect(response.headers.get("access-control-allow-methods")).toContain("POST");
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("serves the inference API cross-origin with a bearer token, and lets the page read a 401", async () => {
    const listed = await fetch(`${server.url}/v1/models`, { headers: { origin: ORIGIN, authorization: `Bearer ${token}` } });
    expect(listed.status).toBe(200);
    expect(listed.headers.get("access-control-allow-origin")).toBe("*");
    const refused = await fetch(`${server.url}/v1/models`, { headers: { origin: ORIGIN } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
  });

  it("lets a page on another origin start a pairing", async () => {
    expect((await preflight("/chai/v1/pairings", "POST", "content-type")).headers.get("access-control-allow-origin")).toBe("*");
    const response = await fetch(`${server.url}/chai/v1/pairings`, {
      method: "POST",
      headers: { origin: ORIGIN, "content-type": "application/json" },
      body: JSON.stringify({ app_name: "Web page" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("keeps /admin and the web UI same-origin", async () => {
    const session = await fetch(`${server.url}/admin/session`, { headers: { origin: ORIGIN } });
    expect(session.headers.get("access-control-allow-origin")).toBeNull();
    const adminPreflight = await preflight("/admin/login");
    expect(adminPreflight.headers.get("access-control-allow-origin")).toBeNull();
    // No route answers OPTIONS there: 405 with the methods that exist (the error contract), and no CORS.
    expect(adminPreflight.status).toBe(405);
    expect(adminPreflight.headers.get("allow")).toContain("POST");
    const page = await fetch(`${server.url}/`, { headers: { origin: ORIGIN } });
    expect(page.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("sends the web UI with a CSP, nosniff and no framing, and has a favicon", async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const icon = await fetch(`${server.url}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toMatch(/image\/svg\+xml/);
    expect((await fetch(`${server.url}/favicon.ico`)).status).toBe(200);
  });
});
