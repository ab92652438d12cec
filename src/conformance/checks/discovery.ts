/** Checks of §6 (discovery) and §7 (authentication and pairing). */
import { Value } from "@sinclair/typebox/value";
import { ChaiDiscoverySchema } from "../../api/chai/well-known.js";
import { discover } from "../../client/discover.js";
import { chatModel, expect, expectError, object, ok, type ConformanceContext } from "../context.js";
import type { Probe } from "../probe.js";
import { CheckFailure, NotApplicable, type Check } from "../types.js";
import { chat } from "./chat-request.js";
import { pairingEndpoint, pairingSeen } from "./pairing-flow.js";

/** The route whose answer shows that a feature is served (not 404 or 405). */
const featureProbes: Record<string, { method: string; path: string; body?: object }> = {
  chat_completions: { method: "POST", path: "/v1/chat/completions", body: {} },
  responses: { method: "POST", path: "/v1/responses", body: {} },
  embeddings: { method: "POST", path: "/v1/embeddings", body: {} },
  ollama: { method: "GET", path: "/api/version" },
  select: { method: "POST", path: "/chai/v1/select", body: {} },
};

const rateLimitHeaders = ["ratelimit-limit", "x-ratelimit-limit", "ratelimit-policy", "ratelimit"];

async function announcesRateLimit(ctx: ConformanceContext, probe: Probe): Promise<void> {
  const { request } = await pairingSeen(ctx, probe);
  expect(rateLimitHeaders.some((name) => request.headers.has(name)), "the pairing answer announces no rate limit (RateLimit-* headers)", request.exchange);
}

export const discoveryChecks: Check[] = [
  {
    id: "§6-1",
    level: "MUST",
    title: "GET /.well-known/chai is public and returns the discovery document",
    async run(ctx) {
      const answer = ctx.discoveryAnswer;
      if (!answer) throw new CheckFailure("the discovery document was not read");
      const body = ok(answer, "GET /.well-known/chai without a token");
      const errors = [...Value.Errors(ChaiDiscoverySchema, body)].slice(0, 3);
      expect(errors.length === 0, `the document does not match §6.1: ${errors.map((e) => `${e.path || "/"} ${e.message}`).join("; ")}`, answer.exchange);
    },
  },
  {
    id: "§6-2",
    level: "MUST",
    title: "every feature listed is served",
    async run(ctx, probe) {
      if (!ctx.discovery) throw new NotApplicable("no discovery document");
      for (const feature of ctx.discovery.features) {
        const route = featureProbes[feature];
        if (!route) continue;
        const answer = await probe.send(route.method, route.path, route.body ? { body: route.body } : {});
        expect(answer.status !== 404 && answer.status !== 405 && answer.status < 500, `'${feature}' is listed but ${route.method} ${route.path} answered ${answer.status}`, answer.exchange);
      }
      if (ctx.discovery.features.includes("chat_completions")) expect((await chat(probe, chatModel(ctx), { max_tokens: 1 })).status === 200, "chat_completions is listed but a chat failed");
    },
  },
  {
    id: "§6-3",
    level: "SHOULD",
    title: "the server advertises _chai._tcp over mDNS",
    async run(ctx) {
      if (!ctx.mdns) throw new NotApplicable("not checked: run without --no-mdns on the server's network");
      if (!ctx.discovery) throw new NotApplicable("no discovery document to match an advertisement with");
      const found = await discover({ timeoutMs: 2500, readDiscoveryDocument: false });
      const id = ctx.discovery.box.id;
      expect(found.some((server) => server.boxId === id), `no _chai._tcp service with id=${id} answered within 2.5 s (${found.length} other(s) did)`);
    },
  },
  {
    id: "§7-1",
    level: "MUST",
    title: "without a valid token: 401 invalid_api_key with WWW-Authenticate: Bearer",
    async run(ctx, probe) {
      if (ctx.authRequired !== true) throw new NotApplicable("the server does not require a token now");
      for (const token of [false, "chai-conformance-not-a-token"] as const) {
        const answer = await probe.send("GET", "/v1/models", { token });
        expectError(answer, 401, "invalid_api_key");
        expect(/^bearer/i.test(answer.headers.get("www-authenticate") ?? ""), "no WWW-Authenticate: Bearer header", answer.exchange);
      }
      const selectAnswer = await probe.send("POST", "/chai/v1/select", { token: false, body: {} });
      expect(selectAnswer.status === 401, `POST /chai/v1/select without a token answered ${selectAnswer.status}`, selectAnswer.exchange);
    },
  },
  {
    id: "§7-2",
    level: "MUST",
    title: "discovery, health and pairing stay public",
    async run(ctx, probe) {
      for (const path of ["/.well-known/chai", "/health"]) {
        const answer = await probe.send("GET", path, { token: false });
        expect(answer.status === 200, `GET ${path} without a token answered ${answer.status}`, answer.exchange);
      }
      pairingEndpoint(ctx);
      const seen = await pairingSeen(ctx, probe);
      expect(seen.request.status === 200, `POST pairing without a token answered ${seen.request.status}`, seen.request.exchange);
      expect(seen.poll && seen.poll.status !== 401, "polling without a token was refused 401", seen.poll?.exchange);
    },
  },
  {
    id: "§7-3",
    level: "SHOULD",
    title: "pairing requests are rate-limited",
    run: announcesRateLimit,
  },
  {
    id: "§12-6",
    level: "SHOULD",
    title: "pairing requests are rate-limited (the owner's page is not visible from outside)",
    run: announcesRateLimit,
  },
  {
    id: "§7-4",
    level: "MUST",
    title: "pairing answers the §7 grant and polls are answered 400 authorization_pending",
    async run(ctx, probe) {
      const { request, poll } = await pairingSeen(ctx, probe);
      const grant = ok(request, "POST pairing");
      for (const key of ["device_code", "user_code", "verification_uri", "verification_uri_complete"]) expect(typeof grant[key] === "string", `the grant lacks ${key}`, request.exchange);
      for (const key of ["expires_in", "interval"]) expect(typeof grant[key] === "number" && grant[key] > 0, `the grant lacks ${key}`, request.exchange);
      expect(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/.test(String(grant.user_code)), "user_code is not XXXX-XXXX of RFC 8628's consonants", request.exchange);
      expect(String(grant.verification_uri_complete).includes(String(grant.user_code)), "verification_uri_complete lacks the user code", request.exchange);
      expect(poll, "no poll was made");
      expectError(poll, 400, "authorization_pending");
    },
  },
  {
    id: "§7-5",
    level: "SHOULD",
    title: "an app can withdraw its pairing request",
    async run(ctx, probe) {
      const { cancel, afterCancel } = await pairingSeen(ctx, probe);
      expect(cancel, "no pairing request to withdraw");
      expect(cancel.status === 200 && object(cancel.json)?.cancelled === true, `withdrawing answered ${cancel.status}`, cancel.exchange);
      expect(afterCancel, "no poll after withdrawing");
      expectError(afterCancel, 400, "invalid_grant");
    },
  },
  {
    id: "§12-5",
    level: "MUST",
    title: "pairing needs the owner's approval: a fresh request gets no token",
    async run(ctx, probe) {
      const { poll } = await pairingSeen(ctx, probe);
      expect(poll, "no poll was made");
      expect(poll.status !== 200 && !("access_token" in (object(poll.json) ?? {})), "a token was issued without the owner's approval", poll.exchange);
      expectError(poll, 400, "authorization_pending");
    },
  },
];
