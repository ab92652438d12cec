/** Which credential each route needs (src/auth/access.ts). */
import { describe, expect, it } from "vitest";
import { routeAccess } from "../../src/auth/access.js";

describe("routeAccess", () => {
  it("keeps only health, discovery, sign-in, setup and the pairing request endpoints public", () => {
    for (const [method, path] of [
      ["GET", "/health"],
      ["GET", "/.well-known/chai"],
      ["GET", "/admin/session"],
      ["POST", "/admin/login"],
      ["POST", "/admin/setup"],
      ["POST", "/admin/setup/verify"],
      ["POST", "/chai/v1/pairings"],
      ["POST", "/chai/v1/pairings/token"],
      ["GET", "/"],
      ["GET", "/assets/app.js"],
    ] as const) {
      expect(routeAccess(method, path), `${method} ${path}`).toBe("public");
    }
  });

  it("needs a token for the APIs and an admin for /admin", () => {
    for (const path of ["/v1", "/v1/models", "/v1/chat/completions", "/api/tags", "/api/version", "/chai/v1/select", "/metrics", "/openapi.json"]) {
      expect(routeAccess("GET", path), path).toBe("inference");
    }
    expect(routeAccess("GET", "/chai/v1/pairings")).toBe("inference");
    for (const path of ["/admin/apps", "/admin/server", "/admin/logout", "/admin", "/admin/setup/other"]) expect(routeAccess("POST", path), path).toBe("admin");
    expect(routeAccess("GET", "/admin/login")).toBe("admin");
  });
});
