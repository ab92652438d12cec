/**
 * Cheap denial of service and the small holes, over real HTTP (behind a proxy, so each request can come from
 * its own client address through X-Forwarded-For): password hashing budgets answered 429 at once, a sign-in
 * burst that leaves /v1/models fast, pairing caps per address, the setup code's 5 tries a minute over both
 * routes, the Secure cookie behind HTTPS, HEAD /admin/session, and state.db's mode.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let token: string;
const PASSWORD = "correct horse battery";

beforeAll(async () => {
  server = await startTestServer({ auth: true, models: { tiny: "tiny" }, config: { trustProxy: true } });
  token = server.auth.tokens.create("tests", "inference", "cli").token;
});
afterAll(async () => server.dispose());

function post(path: string, body: unknown, from: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": from, ...headers }, body: JSON.stringify(body) });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

describe("the setup code", () => {
  it("allows 5 tries a minute per address over verify and setup together", async () => {
    const from = "10.0.0.1";
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post("/admin/setup/verify", { setup_code: "WRONG-CODE" }, from)).status);
    for (let i = 0; i < 3; i++) statuses.push((await post("/admin/setup", { setup_code: "WRONG-CODE", password: PASSWORD }, from)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it("signs in with a Secure cookie behind an HTTPS proxy, and without Secure over plain http", async () => {
    const setup = await post("/admin/setup", { setup_code: server.auth.account.setupCode(), password: PASSWORD }, "10.0.0.2", { "x-forwarded-proto": "https" });
    expect(setup.status).toBe(200);
    expect(setup.headers.get("set-cookie")).toMatch(/chaibox_session=.*; Secure/);
    const plain = await post("/admin/login", { password: PASSWORD }, "10.0.0.3");
    expect(plain.status).toBe(200);
    expect(plain.headers.get("set-cookie")).not.toMatch(/Secure/);
  });
});

describe("small items", () => {
  it("answers HEAD /admin/session like GET: public", async () => {
    expect((await fetch(`${server.url}/admin/session`, { method: "HEAD" })).status).toBe(200);
  });

  it("creates state.db readable by its owner only", async () => {
    expect((await stat(join(server.paths.dataDir, "state.db"))).mode & 0o777).toBe(0o600);
  });
});

describe("password hashing budgets", () => {
  it("answers a burst of wrong sign-ins from 20 addresses 429 at once, and /v1/models stays fast", async () => {
    const latencies: number[] = [];
    let stop = false;
    const prober = (async () => {
      while (!stop) {
        const started = performance.now();
        const response = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
        await response.arrayBuffer();
        latencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const started = performance.now();
    const burst = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const response = await post("/admin/login", { password: `wrong ${i}` }, `10.1.0.${i % 20}`);
        return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as { error: { code: string } } };
      }),
    );
    const burstMs = performance.now() - started;
    stop = true;
    await prober;
    const hashed = burst.filter((r) => r.status === 401).length;
    const refused = burst.filter((r) => r.status === 429);
    expect(hashed + refused.length).toBe(100);
    // At most the global budget (20 a minute) was hashed; the rest were refused without hashing.
    expect(hashed).toBeLessThanOrEqual(20);
    expect(refused.every((r) => r.retryAfter !== null && r.body.error.code === "rate_limited")).toBe(true);
    console.log(`sign-in burst: ${hashed} hashed, ${refused.length} refused 429 in ${Math.round(burstMs)} ms; /v1/models median ${Math.round(median(latencies))} ms over ${latencies.length}`);
    expect(median(latencies)).toBeLessThan(200);
  });
});

describe("pairing", () => {
  it("caps waiting requests per address, so one address cannot block other apps", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post("/chai/v1/pairings", { app_name: `flood ${i}` }, "10.2.0.1")).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await post("/chai/v1/pairings", { app_name: "real app" }, "10.2.0.2")).status).toBe(200);
  });
});
