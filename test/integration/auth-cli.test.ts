/**
 * The CLI's side of authentication against a real chaibox with `auth.required`: `token create|list|revoke`
 * and `setup-code` on the shared state database, the setup code in the start log, and `models rm` reaching
 * the admin API with the local key from server.json.
 */
import { stat } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = await startTestServer({ auth: true, models: { tiny: "tiny", other: "tiny" }, logs });
});
afterAll(async () => server.dispose());

const cli = (...args: string[]) => runCli([...args, "--data-dir", server.paths.dataDir]);
const models = (token: string) => fetch(`${server.baseURL}/models`, { headers: { authorization: `Bearer ${token}` } });

describe("chaibox token and setup-code", () => {
  it("creates a token that the running server accepts at once, lists it with its use, and revokes it", async () => {
    const created = await cli("token", "create", "--name", "backup script", "--json");
    expect(created.code, created.stderr).toBe(0);
    const { token, id, scope } = JSON.parse(created.stdout) as { token: string; id: string; scope: string };
    expect(scope).toBe("inference");
    expect((await models(token)).status).toBe(200);

    const text = await cli("token", "create", "--name", "admin script", "--scope", "admin");
    expect(text.stdout).toMatch(/^chai_\S+\n/);
    expect(text.stdout).toMatch(/shown only now/);

    server.auth.tokens.flush();
    const list = JSON.parse((await cli("token", "list", "--json")).stdout) as { id: string; requests: number; last_used_at: string | null }[];
    expect(list.find((t) => t.id === id)?.requests).toBe(1);
    expect(list.find((t) => t.id === id)?.last_used_at).toMatch(/^\d{4}-/);
    expect(JSON.stringify(list)).not.toContain(token);

    expect((await cli("token", "revoke", id)).stdout).toContain(`Revoked ${id}`);
    expect((await models(token)).status).toBe(401);
  });

  it("fails with a one-line reason on a wrong call", async () => {
    expect((await cli("token", "create")).stderr).toMatch(/needs --name/);
    expect((await cli("token", "create", "--name", "x", "--scope", "root")).code).toBe(2);
    const missing = await cli("token", "revoke", "tok_nothing");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No app token/);
    expect((await runCli(["token", "--help"])).stdout).toMatch(/token create --name N/);
  });

  it("prints the setup code the start log showed, until setup is done", async () => {
    const code = (await cli("setup-code")).stdout.trim();
    expect(code).toMatch(/^[2-9A-Z]{4}-[2-9A-Z]{4}$/);
    expect(logs.some((line) => line.setupCode === code && String(line.msg).includes(code))).toBe(true);
    expect(JSON.parse((await cli("setup-code", "--json")).stdout)).toEqual({ setup_code: code, setup_done: false });
    await server.auth.account.completeSetup(code, "a long password");
    expect(JSON.parse((await cli("setup-code", "--json")).stdout)).toEqual({ setup_code: null, setup_done: true });
    expect((await cli("setup-code")).stdout).toMatch(/already set up/);
  });

  it("models rm goes through the running server's admin API with the local key", async () => {
    expect(((await stat(`${server.paths.dataDir}/server.json`)).mode & 0o777).toString(8)).toBe("600");
    const removed = await cli("models", "rm", "other", "--json");
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ removed: "other", server: server.url });
    // The key is the admin credential of this machine only: without it, /admin wants a sign-in.
    expect((await fetch(`${server.url}/admin/server`)).status).toBe(401);
  });
});
