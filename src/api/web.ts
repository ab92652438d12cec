/**
 * The web UI at `/`: the static files `npm run build` compiles from src/web/ into dist/web/. Public by
 * design (access.ts): the page itself holds nothing; every screen's data comes from /admin with a session.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync } from "fastify";
import { packageRoot } from "../package-root.js";

/** Where the built UI lives. */
export const webRoot = join(packageRoot, "dist", "web");

/**
 * The page's Content-Security-Policy: its own scripts, styles and API only, nothing inline, no framing
 * (clickjacking of the approve buttons). `data:` images for the QR code's and favicon's fallbacks.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const webRoutes: FastifyPluginAsync<{ root?: string }> = async (app, { root = webRoot }) => {
  // Only this plugin's routes (the page and its files): the APIs answer JSON and are not framed or rendered.
  app.addHook("onSend", async (_request, reply, payload) => {
    void reply.header("content-security-policy", WEB_CSP);
    void reply.header("x-content-type-options", "nosniff");
    void reply.header("x-frame-options", "DENY");
    void reply.header("referrer-policy", "same-origin");
    return payload;
  });
  if (!existsSync(join(root, "index.html"))) {
    // Running from the sources without a build: say how to get the page instead of a bare 404.
    app.get("/", { schema: { hide: true } }, async (_request, reply) =>
      reply.status(503).type("text/plain; charset=utf-8").send("The web UI is not built: run 'npm run build'.\n"),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    // Hashless file names: the browser revalidates each load, so an update never mixes old and new modules.
    cacheControl: true,
    maxAge: 0,
    schemaHide: true,
    // A route per built file rather than a catch-all: unknown paths (/metrics, /v1/typo) keep their own
    // 404s and access checks.
    wildcard: false,
  });
  // Where pairing apps send the owner (verification_uri): the page opens on its Apps screen.
  // Browsers that ask for the classic path get the same icon.
  app.get("/favicon.ico", { schema: { hide: true } }, async (_request, reply) => reply.type("image/svg+xml").sendFile("favicon.svg"));
  app.get("/pair", { schema: { hide: true } }, async (_request, reply) => reply.sendFile("index.html"));
};
