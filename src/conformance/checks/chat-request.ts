/** Small chat requests the checks of §3, §10 and §11 send. */
import { Ajv } from "ajv";
import type { Probe, Answer } from "../probe.js";
import { expect, object, ok } from "../context.js";

/** A tiny function tool. */
export const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The weather in a city",
    parameters: { type: "object", properties: { city: { type: "string", enum: ["Oslo", "Paris"] } }, required: ["city"], additionalProperties: false },
  },
} as const;

/** A schema small enough for any model to fill in a few tokens. */
export const smallSchema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"], additionalProperties: false } as const;

/** POST /v1/chat/completions with a short user message and a small token limit, plus `extra`. */
export function chat(probe: Probe, model: string, extra: Record<string, unknown> = {}): Promise<Answer> {
  return probe.send("POST", "/v1/chat/completions", { body: { model, max_tokens: 8, messages: [{ role: "user", content: "Say hi." }], ...extra } });
}

/** The first choice of a 200 chat completion. */
export function firstChoice(answer: Answer, what: string): { message: Record<string, unknown>; finish_reason: unknown } {
  const body = ok(answer, what);
  const choice = object(Array.isArray(body.choices) ? body.choices[0] : undefined);
  const message = object(choice?.message);
  expect(choice && message, `${what}: no choices[0].message`, answer.exchange);
  return { message, finish_reason: choice.finish_reason };
}

/**
 * Checks a JSON-format answer: 200 with content that parses (and validates against `schema` when given), or
 * the §4 error `invalid_model_output` (a server MUST refuse rather than return non-conforming content).
 */
export function expectJsonContent(answer: Answer, text: unknown, schema: object | undefined, what: string): void {
  if (answer.status === 500) {
    const code = object(object(answer.json)?.error)?.code;
    expect(code === "invalid_model_output", `${what}: answered 500 with ${JSON.stringify(code)}, not invalid_model_output`, answer.exchange);
    return;
  }
  expect(answer.status === 200, `${what}: answered ${answer.status}`, answer.exchange);
  // A reply the token limit cut off is answered as it stood (§3-5): its text need not parse.
  if (cutByLimit(answer)) return;
  expect(typeof text === "string", `${what}: no text content`, answer.exchange);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw expectFailure(`${what}: the content is not JSON`, answer);
  }
  if (schema) {
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate(value), `${what}: the content does not validate against the schema: ${JSON.stringify(validate.errors?.slice(0, 2))}`, answer.exchange);
  }
}

/** Whether a chat completion or a response says the token limit ended it. */
function cutByLimit(answer: Answer): boolean {
  const body = object(answer.json);
  const choice = Array.isArray(body?.choices) ? object(body.choices[0]) : undefined;
  return choice?.finish_reason === "length" || (body?.status === "incomplete" && object(body.incomplete_details)?.reason === "max_output_tokens");
}

function expectFailure(message: string, answer: Answer): Error {
  try {
    expect(false, message, answer.exchange);
  } catch (error) {
    return error as Error;
  }
  return new Error(message);
}
