/** Checks of §12 (security) that the suite can see from outside. */
import { expect } from "../context.js";
import { NotApplicable, type Check } from "../types.js";

export const securityChecks: Check[] = [
  {
    id: "§12-1",
    level: "SHOULD",
    title: "the API requires tokens",
    async run(ctx) {
      if (ctx.authRequired === null) throw new NotApplicable("could not tell whether the API requires a token");
      expect(ctx.authRequired, "the API answers without a token (auth.required is false)", ctx.discoveryAnswer?.exchange);
    },
  },
  {
    id: "§12-3",
    level: "SHOULD",
    title: "the server offers HTTPS",
    async run(ctx) {
      expect(ctx.probe.origin.startsWith("https:"), `the server was reached over plain HTTP (${ctx.probe.origin}); pass an https:// URL if it serves HTTPS`);
    },
  },
  {
    id: "§12-7",
    level: "MUST",
    title: "the discovery document carries no secrets",
    async run(ctx) {
      const answer = ctx.discoveryAnswer;
      if (!ctx.discovery || !answer) throw new NotApplicable("no discovery document");
      expect(ctx.token === undefined || !answer.text.includes(ctx.token), "the discovery document contains the token", answer.exchange);
      const keys = JSON.stringify(ctx.discovery).match(/"[^"]*(token|secret|password|api_key)[^"]*":/gi) ?? [];
      expect(keys.length === 0, `the discovery document has secret-looking fields: ${keys.join(" ")}`, answer.exchange);
    },
  },
];
