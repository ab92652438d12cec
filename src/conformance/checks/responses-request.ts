/** Small Responses requests and the shared stored-response chain of the §9 checks. */
import { chatModel, expect, listsFeature, object, ok, once, type ConformanceContext } from "../context.js";
import type { Answer, Probe } from "../probe.js";
import { NotApplicable } from "../types.js";

/** NotApplicable unless the server serves the Responses API. */
export async function responsesServed(ctx: ConformanceContext, probe: Probe): Promise<string> {
  const model = chatModel(ctx);
  const listed = listsFeature(ctx, "responses");
  if (listed === false) throw new NotApplicable("the discovery document does not list 'responses'");
  if (listed === null) {
    const seen = await once(ctx, "responses-probe", () => probe.send("POST", "/v1/responses", { body: { model, input: "hi", max_output_tokens: 1, store: false } }));
    if (seen.status === 404 && object(object(seen.json)?.error)?.code !== "model_not_found") throw new NotApplicable("POST /v1/responses is not served (404)");
  }
  return model;
}

/** POST /v1/responses with a small token limit; stored responses are remembered for the clean-up. */
export async function respond(ctx: ConformanceContext, probe: Probe, extra: Record<string, unknown>): Promise<Answer> {
  const answer = await probe.send("POST", "/v1/responses", { body: { model: ctx.chatModel, max_output_tokens: 8, input: "Say hi.", ...extra } });
  const id = object(answer.json)?.id;
  if (answer.status === 200 && typeof id === "string" && extra.store !== false) ctx.createdResponses.add(id);
  return answer;
}

/** The output items of a 200 response. */
export function outputItems(answer: Answer, what: string): Record<string, unknown>[] {
  const body = ok(answer, what);
  expect(body.object === "response" && Array.isArray(body.output), `${what}: not a response object with output`, answer.exchange);
  return (body.output as unknown[]).map((item) => object(item) ?? {});
}

/** A stored response and its continuation, made once per run. */
export function storedChain(ctx: ConformanceContext, probe: Probe): Promise<{ first: Answer; second: Answer }> {
  return once(ctx, "stored-chain", async () => {
    const first = await respond(ctx, probe, { instructions: "Be brief.", input: "My name is Ada." });
    const id = object(first.json)?.id;
    const second = await respond(ctx, probe, { previous_response_id: id, input: "What is my name?" });
    return { first, second };
  });
}
