/**
 * §1-2: `GET /openapi.json` is a valid OpenAPI 3.1 document (checked with a real OpenAPI validator), and it
 * documents the answers this run received: every JSON answer from a documented route validates against the
 * response schema the document gives for its status. Runs last, after every other check has sent its requests.
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { expect, object, ok } from "../context.js";
import type { Check } from "../types.js";

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
}

/** A matcher for an OpenAPI path template; the last parameter may hold slashes (model ids do). */
function matcher(template: string): RegExp {
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}$/, ".+").replace(/\{[^}]+\}/g, "[^/]+");
  return new RegExp(`^${pattern}$`);
}

function responseSchema(operation: Operation, status: number): object | undefined {
  const responses = operation.responses ?? {};
  const entry = responses[String(status)] ?? responses[`${String(status)[0] ?? ""}XX`] ?? responses.default;
  return entry?.content?.["application/json"]?.schema;
}

export const openApiCheck: Check = {
  id: "§1-2",
  level: "SHOULD",
  title: "GET /openapi.json is a valid OpenAPI 3.1 document that describes the answers",
  async run(_ctx, probe) {
    const answer = await probe.send("GET", "/openapi.json");
    const document = ok(answer, "GET /openapi.json");
    expect(typeof document.openapi === "string" && document.openapi.startsWith("3.1"), `openapi is ${JSON.stringify(document.openapi)}, not 3.1.x`, answer.exchange);
    const validation = await new Validator().validate(document);
    expect(validation.valid, `the document is not valid OpenAPI 3.1: ${String(JSON.stringify(validation.errors)).slice(0, 400)}`, answer.exchange);
    const paths = Object.entries(object(document.paths) ?? {}).map(([template, methods]) => ({ regex: matcher(template), template, methods: object(methods) ?? {} }));
    const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
    const problems: string[] = [];
    for (const seen of probe.recorded) {
      if (seen.path === "/openapi.json") continue;
      const path = paths.find((entry) => entry.regex.test(seen.path) && entry.methods[seen.method.toLowerCase()]);
      if (!path) continue;
      const operation = path.methods[seen.method.toLowerCase()] as Operation;
      const schema = responseSchema(operation, seen.status);
      const where = `${seen.method} ${path.template} ${seen.status}`;
      if (!schema) {
        problems.push(`${where}: no response schema`);
        continue;
      }
      const validate = ajv.compile(schema);
      if (!validate(seen.json)) problems.push(`${where}: ${validate.errors?.slice(0, 2).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`).join("; ") ?? ""}`);
    }
    const unique = [...new Set(problems)];
    expect(unique.length === 0, `${unique.length} answer(s) the document does not describe: ${unique.slice(0, 6).join(" | ")}`);
  },
};
