/**
 * The owner's account, the first routes the setup page calls:
 * - `GET /admin/session` (public): whether setup is needed, whether this browser is signed in, its CSRF token;
 * - `POST /admin/setup/verify` and `POST /admin/setup` (public, with the setup code, rate-limited): the first
 *   run sets the admin password and box name and signs the browser in;
 * - `POST /admin/login` (public, rate-limited), `POST /admin/logout`, `POST /admin/password`.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { MIN_PASSWORD_LENGTH } from "../../auth/account.js";
import { SESSION_COOKIE } from "../../auth/guard.js";
import type { AuthService } from "../../auth/service.js";
import { ChaiboxError } from "../../errors.js";
import { AttemptWindow, HashBudget, type HashBudgetOptions } from "../../auth/attempt-budget.js";
import type { Session, SignedIn } from "./admin-api.js";

export interface AccountRoutesOptions {
  auth: AuthService;
  /** Whether the API needs tokens (false under `serve --no-auth`). */
  required: boolean;
  /** Called after setup named the box (the mDNS announcement follows it). Default: nothing. */
  onBoxNameChange?: ((name: string) => void) | undefined;
  /** Attempts per client address per minute on sign-in and setup-code routes. Default 5. */
  attemptsPerMinute?: number;
  /** Password hashing budgets (attempt-budget.ts). Default: one at a time, 20 a minute, 5 per address. */
  hashing?: HashBudgetOptions;
}

const Password = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 1024, description: `at least ${MIN_PASSWORD_LENGTH} characters` });
const SetupCode = Type.String({ minLength: 1, maxLength: 64, description: "the code 'chaibox setup-code' prints and the log shows" });
const BoxName = Type.String({ minLength: 1, maxLength: 63, description: "the box's name that apps show" });

/** Starts a session, sets its cookie and answers its CSRF token. */
function signIn(auth: AuthService, request: FastifyRequest, reply: FastifyReply): SignedIn {
  // `request.protocol` is https behind an HTTPS proxy only when `trustProxy` lets X-Forwarded-Proto count.
  const session = auth.sessions.create();
  void reply.setCookie(SESSION_COOKIE, session.id, {
    path: "/",
    httpOnly: true,
    sameSite: "strict",
    secure: request.protocol === "https",
    expires: new Date(session.expiresAt),
  });
  return { signed_in: true as const, csrf_token: session.csrfToken, expires_at: new Date(session.expiresAt).toISOString() };
}

export const accountRoutes: FastifyPluginAsyncTypebox<AccountRoutesOptions> = async (app, { auth, required, onBoxNameChange, attemptsPerMinute = 5, hashing }) => {
  const limited = { rateLimit: { max: attemptsPerMinute, timeWindow: 60_000 } };
  // The setup code's tries are counted per address over both routes together: 5 a minute in all.
  const setupTries = new AttemptWindow(attemptsPerMinute, 60_000);
  const hashes = new HashBudget({ perAddressPerMinute: attemptsPerMinute, ...hashing });

  app.get("/admin/session", async (request): Promise<Session> => {
    const session = request.auth.kind === "session" ? request.auth : undefined;
    return {
      setup_required: !auth.account.isSetUp(),
      signed_in: session !== undefined || request.auth.kind === "local" || (request.auth.kind === "token" && request.auth.scope === "admin"),
      csrf_token: session?.csrfToken ?? null,
      auth_required: required,
    };
  });

  app.post("/admin/setup/verify", { schema: { body: Type.Object({ setup_code: SetupCode }, { additionalProperties: false }) } }, async (request, reply) => {
    setupTries.take(request.ip, "setup code attempts from this address");
    auth.account.checkSetupCode(request.body.setup_code);
    return reply.status(204).send();
  });

  const SetupBody = Type.Object({ setup_code: SetupCode, password: Password, box_name: Type.Optional(BoxName) }, { additionalProperties: false });
  app.post("/admin/setup", { schema: { body: SetupBody } }, async (request, reply) => {
    const { setup_code, password, box_name } = request.body;
    setupTries.take(request.ip, "setup code attempts from this address");
    auth.account.checkSetupCode(setup_code);
    await hashes.run(request.ip, () => auth.account.completeSetup(setup_code, password, box_name));
    if (box_name !== undefined) onBoxNameChange?.(box_name);
    request.log.info("first-run setup done: the admin password is set and the setup code is gone");
    return signIn(auth, request, reply);
  });

  app.post("/admin/login", { config: limited, schema: { body: Type.Object({ password: Type.String({ maxLength: 1024 }) }, { additionalProperties: false }) } }, async (request, reply) => {
    await hashes.run(request.ip, () => auth.account.checkPassword(request.body.password));
    return signIn(auth, request, reply);
  });

  app.post("/admin/logout", async (request, reply) => {
    if (request.auth.kind === "session") auth.sessions.delete(request.auth.sessionId);
    void reply.clearCookie(SESSION_COOKIE, { path: "/" });
    return reply.status(204).send();
  });

  const PasswordBody = Type.Object({ current_password: Type.String({ maxLength: 1024 }), new_password: Password }, { additionalProperties: false });
  app.post("/admin/password", { config: limited, schema: { body: PasswordBody } }, async (request, reply) => {
    if (request.auth.kind !== "session") throw new ChaiboxError("forbidden", "Change the password from a signed-in browser session.");
    await hashes.run(request.ip, () => auth.account.changePassword(request.body.current_password, request.body.new_password));
    // Whoever else was signed in (perhaps with the old, leaked password) must sign in again.
    auth.sessions.deleteOthers(request.auth.sessionId);
    return reply.status(204).send();
  });
};
