/** Checks of §1.1: browser apps on other origins (CORS). */
import { expect } from "../context.js";
import type { Answer, Probe } from "../probe.js";
import type { Check } from "../types.js";

/** A made-up page origin: no server allows it by name, so only a wildcard passes. */
const ORIGIN = "http://chai-conformance.invalid";

export const corsChecks: Check[] = [
  {
    id: "§1-3",
    level: "MUST",
    title: "the discovery document and /health are readable from any origin",
    async run(ctx, probe) {
      void ctx;
      for (const path of ["/.well-known/chai", "/health"]) {
        const answer = await probe.send("GET", path, { token: false, headers: { origin: ORIGIN } });
        const allowed = answer.headers.get("access-control-allow-origin");
        expect(allowed === "*", `${path} answered Access-Control-Allow-Origin ${allowed ?? "(none)"}, expected *`, answer.exchange);
      }
    },
  },
  {
    id: "§1-4",
    level: "MUST",
    title: "the inference API allows any origin, errors included",
    async run(ctx, probe) {
      for (const answer of await inferenceAnswers(probe)) {
        const allowed = answer.headers.get("access-control-allow-origin");
        expect(allowed === "*", `GET /v1/models (${answer.status}) answered Access-Control-Allow-Origin ${allowed ?? "(none)"}, expected *`, answer.exchange);
      }
      void ctx;
    },
  },
  {
    id: "§1-5",
    level: "MUST",
    title: "the inference API sends no Access-Control-Allow-Credentials",
    async run(ctx, probe) {
      for (const answer of await inferenceAnswers(probe)) {
        expect(answer.headers.get("access-control-allow-credentials") === null, `GET /v1/models (${answer.status}) sent Access-Control-Allow-Credentials`, answer.exchange);
      }
      void ctx;
    },
  },
];

/** `GET /v1/models` from a page on another origin, with the run's token and with a wrong one. */
async function inferenceAnswers(probe: Probe): Promise<Answer[]> {
  return [
    await probe.send("GET", "/v1/models", { headers: { origin: ORIGIN } }),
    // A refusal must be readable too, so a page can say why.
    await probe.send("GET", "/v1/models", { token: "chai-conformance-wrong-token", headers: { origin: ORIGIN } }),
  ];
}
