/**
 * The owner's side of authentication on a real chaibox: the first run behind the setup code, sign-in with a
 * session cookie, CSRF on state-changing admin routes, rate limits on wrong passwords and setup codes, and
 * password changes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
const PASSWORD = "correct horse battery";

beforeAll(async () => {
  server = await startTestServer({ auth: true, models: {} });
});
afterAll(async () => server.dispose());

/** One request through inject, from `ip` (rate limits count per client address). */
async function send(method: string, url: string, options: { body?: unknown; cookie?: string; csrf?: string; ip?: string } = {}) {
  const response = await server.app.inject({
    method: method as "GET",
    url,
    remoteAddress: options.ip ?? "192.168.1.10",
    headers: {
      ...(options.cookie !== undefined && { cookie: options.cookie }),
      ...(options.csrf !== undefined && { "x-csrf-token": options.csrf }),
    },
    ...(options.body !== undefined && { payload: options.body as Record<string, unknown> }),
  });
  const session = response.cookies.find((c) => c.name === "chaibox_session");
  return { status: response.statusCode, body: response.body === "" ? {} : response.json<Record<string, unknown>>(), headers: response.headers, session };
}

const code = (result: { body: Record<string, unknown> }) => (result.body.error as { code?: string } | undefined)?.code;

describe("first run", () => {
  it("rate-limits wrong setup codes per client address", async () => {
    const ip = "192.168.1.66";
    for (let i = 0; i < 5; i++) expect((await send("POST", "/admin/setup/verify", { ip, body: { setup_code: "WRONG-CODE" } })).status).toBe(401);
    const limited = await send("POST", "/admin/setup/verify", { ip, body: { setup_code: server.auth.account.setupCode() } });
    expect(limited.status).toBe(429);
    expect(code(limited)).toBe("rate_limited");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    // Setup itself is limited the same way for this address, even with the right code.
    for (let i = 0; i < 5; i++) await send("POST", "/admin/setup", { ip, body: { setup_code: "WRONG-CODE", password: PASSWORD } });
    expect((await send("POST", "/admin/setup", { ip, body: { setup_code: server.auth.account.setupCode(), password: PASSWORD } })).status).toBe(429);
    expect(server.auth.account.isSetUp()).toBe(false);
  });

  it("is impossible without the setup code", async () => {
    const status = await send("GET", "/admin/session");
    expect(status.body).toEqual({ setup_required: true, signed_in: false, csrf_token: null, auth_required: true });
    expect((await send("POST", "/admin/setup", { body: { password: PASSWORD, box_name: "Kitchen" } })).status).toBe(400);
    const wrong = await send("POST", "/admin/setup", { body: { setup_code: "AAAA-BBBB", password: PASSWORD, box_name: "Kitchen" } });
    expect(wrong.status).toBe(401);
    expect(code(wrong)).toBe("invalid_credentials");
    expect(wrong.session).toBeUndefined();
    // Nothing of the admin API answers, and sign-in has no password to check yet.
    expect(code(await send("GET", "/admin/hardware"))).toBe("not_signed_in");
    expect(code(await send("GET", "/admin/apps"))).toBe("not_signed_in");
    expect(code(await send("POST", "/admin/login", { body: { password: PASSWORD } }))).toBe("setup_required");
    expect(server.auth.account.isSetUp()).toBe(false);
  });

  it("with the code, sets the password and box name, signs in, and retires the code", async () => {
    const setupCode = server.auth.account.setupCode();
    expect(setupCode).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    // People type codes as they see fit: case, spaces and dashes do not matter.
    expect((await send("POST", "/admin/setup/verify", { body: { setup_code: setupCode!.toLowerCase().replace("-", " ") } })).status).toBe(204);
    expect((await send("POST", "/admin/setup", { body: { setup_code: setupCode, password: "short" } })).status).toBe(400);
    const done = await send("POST", "/admin/setup", { body: { setup_code: setupCode, password: PASSWORD, box_name: "Kitchen box" } });
    expect(done.status).toBe(200);
    expect(done.body.csrf_token).toMatch(/^c_/);
    expect(done.session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    const cookie = `chaibox_session=${done.session!.value}`;
    expect((await send("GET", "/admin/session", { cookie })).body).toMatchObject({ setup_required: false, signed_in: true, csrf_token: done.body.csrf_token });
    expect((await send("GET", "/admin/hardware", { cookie })).status).toBe(200);
    // The wizard's next steps: the hardware in words and the models that fit.
    const recommended = await send("GET", "/admin/recommendations", { cookie });
    expect(recommended.status).toBe(200);
    expect(recommended.body).toMatchObject({ hardware: expect.any(Array) as unknown[], choices: expect.any(Array) as unknown[] });
    expect((await send("GET", "/admin/settings", { cookie })).body).toMatchObject({ box_name: "Kitchen box", auth_required: true });
    expect(((await server.app.inject("/.well-known/chai")).json<{ box: { name: string } }>()).box.name).toBe("Kitchen box");

    expect(server.auth.account.setupCode()).toBeUndefined();
    expect(server.db.prepare("SELECT * FROM auth_settings WHERE key = 'setup_code'").all()).toEqual([]);
    expect(code(await send("POST", "/admin/setup", { body: { setup_code: setupCode, password: "another password" } }))).toBe("setup_done");
    const hash = server.db.prepare("SELECT value FROM auth_settings WHERE key = 'password_hash'").get() as { value: string };
    expect(hash.value).toMatch(/^scrypt\$/);
    expect(hash.value).not.toContain(PASSWORD);
  });
});

describe("admin sessions", () => {
  async function signIn(ip?: string) {
    const result = await send("POST", "/admin/login", { body: { password: PASSWORD }, ...(ip !== undefined && { ip }) });
    expect(result.status).toBe(200);
    return { cookie: `chaibox_session=${result.session!.value}`, csrf: String(result.body.csrf_token) };
  }

  it("enforces CSRF on every state-changing admin route", async () => {
    const { cookie, csrf } = await signIn("192.168.1.20");
    const changes: [string, string, unknown][] = [
      ["POST", "/admin/apps", { name: "csrf app" }],
      ["DELETE", "/admin/apps/tok_0000000000000000", undefined],
      ["PATCH", "/admin/settings", { box_name: "Renamed" }],
      ["POST", "/admin/pairings/pair_0000/approve", undefined],
      ["POST", "/admin/pairings/pair_0000/deny", undefined],
      ["POST", "/admin/models/pulls", { ref: "nothing" }],
      ["DELETE", "/admin/models/nothing", undefined],
      ["POST", "/admin/password", { current_password: PASSWORD, new_password: "whatever123" }],
      ["POST", "/admin/logout", undefined],
    ];
    for (const [method, url, body] of changes) {
      for (const header of [undefined, "c_wrong"]) {
        const result = await send(method, url, { cookie, ...(header !== undefined && { csrf: header }), ...(body !== undefined && { body }) });
        expect(result.status, `${method} ${url} with ${header ?? "no"} CSRF token`).toBe(403);
        expect(code(result)).toBe("csrf_token_invalid");
      }
    }
    // Another session's token does not do either.
    const other = await signIn("192.168.1.21");
    expect(code(await send("POST", "/admin/apps", { cookie, csrf: other.csrf, body: { name: "x" } }))).toBe("csrf_token_invalid");
    // Reads need none; with the right token the change goes through.
    expect((await send("GET", "/admin/apps", { cookie })).status).toBe(200);
    const created = await send("POST", "/admin/apps", { cookie, csrf, body: { name: "csrf app" } });
    expect(created.status).toBe(201);
    expect((await send("DELETE", `/admin/apps/${String(created.body.id)}`, { cookie, csrf })).body.revoked_at).toMatch(/^\d{4}-/);
    expect(server.auth.tokens.verify(String(created.body.token))).toBeUndefined();
  });

  it("rate-limits repeated wrong passwords per client address", async () => {
    const ip = "192.168.1.77";
    for (let i = 0; i < 5; i++) expect(code(await send("POST", "/admin/login", { ip, body: { password: `wrong ${i}` } }))).toBe("invalid_credentials");
    const limited = await send("POST", "/admin/login", { ip, body: { password: PASSWORD } });
    expect(limited.status).toBe(429);
    expect(limited.session).toBeUndefined();
    // Another address is not locked out by this one.
    await signIn("192.168.1.78");
  });

  it("signs out, and a password change ends the other sessions", async () => {
    const first = await signIn("192.168.1.30");
    const second = await signIn("192.168.1.31");
    const wrong = await send("POST", "/admin/password", { ...first, ip: "192.168.1.30", body: { current_password: "not it", new_password: "new password 1" } });
    expect(code(wrong)).toBe("invalid_credentials");
    expect((await send("POST", "/admin/password", { ...first, ip: "192.168.1.30", body: { current_password: PASSWORD, new_password: "new password 1" } })).status).toBe(204);
    expect(code(await send("GET", "/admin/apps", { cookie: second.cookie }))).toBe("not_signed_in");
    expect((await send("GET", "/admin/apps", { cookie: first.cookie })).status).toBe(200);
    expect((await send("POST", "/admin/login", { ip: "192.168.1.32", body: { password: PASSWORD } })).status).toBe(401);
    expect((await send("POST", "/admin/login", { ip: "192.168.1.32", body: { password: "new password 1" } })).status).toBe(200);

    expect((await send("POST", "/admin/logout", first)).status).toBe(204);
    expect(code(await send("GET", "/admin/apps", { cookie: first.cookie }))).toBe("not_signed_in");
  });
});
