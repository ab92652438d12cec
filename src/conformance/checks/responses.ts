/** Checks of §9: the Responses API. */
import { expect, expectError, names, object, ok } from "../context.js";
import type { Check } from "../types.js";
import { expectJsonContent, smallSchema } from "./chat-request.js";
import { outputItems, respond, responsesServed, storedChain } from "./responses-request.js";

const weather = { type: "function", name: "get_weather", description: "The weather in a city", parameters: { type: "object", properties: { city: { type: "string", enum: ["Oslo", "Paris"] } }, required: ["city"], additionalProperties: false }, strict: true };

export const responsesChecks: Check[] = [
  {
    id: "§9-1",
    level: "MUST",
    title: "input as a string or items: messages, function_call, function_call_output",
    async run(ctx, probe) {
      await responsesServed(ctx, probe);
      outputItems(await respond(ctx, probe, { store: false }), "input as a string");
      const items = await respond(ctx, probe, {
        store: false,
        tools: [weather],
        input: [
          { role: "system", content: "Be brief." },
          { type: "message", role: "user", content: [{ type: "input_text", text: "Weather in Oslo?" }] },
          { type: "function_call", call_id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' },
          { type: "function_call_output", call_id: "call_1", output: "Sunny" },
          { role: "assistant", content: [{ type: "output_text", text: "Sunny." }] },
          { role: "developer", content: "Thank the user." },
        ],
      });
      outputItems(items, "input as items of every kind");
    },
  },
  {
    id: "§9-2",
    level: "MUST",
    title: "a function_call_output without its function_call is refused (400 invalid_request)",
    async run(ctx, probe) {
      await responsesServed(ctx, probe);
      const answer = await respond(ctx, probe, { store: false, input: [{ role: "user", content: "hi" }, { type: "function_call_output", call_id: "call_nobody_made", output: "x" }] });
      expectError(answer, 400, "invalid_request", names("input", "call_id"), "the item (input[1].call_id)");
    },
  },
  {
    id: "§9-3",
    level: "MUST",
    title: "instructions apply to one response and are not carried over",
    async run(ctx, probe) {
      await responsesServed(ctx, probe);
      const { first, second } = await storedChain(ctx, probe);
      expect(ok(first, "a response with instructions").instructions === "Be brief.", "the response does not echo its instructions", first.exchange);
      expect(ok(second, "its continuation").instructions === null, "the continuation carries the earlier instructions", second.exchange);
    },
  },
  {
    id: "§9-4",
    level: "MUST",
    title: "max_output_tokens, temperature, top_p, text.format and function tools are served",
    async run(ctx, probe) {
      await responsesServed(ctx, probe);
      const limited = await respond(ctx, probe, { store: false, max_output_tokens: 2, temperature: 0.5, top_p: 0.9 });
      const body = ok(limited, "max_output_tokens 2");
      const usage = object(body.usage);
      expect(typeof usage?.output_tokens === "number" && usage.output_tokens <= 2, "max_output_tokens 2 was not the limit", limited.exchange);
      expect(body.status === "completed" || (body.status === "incomplete" && object(body.incomplete_details)?.reason === "max_output_tokens"), `status ${JSON.stringify(body.status)} for a limited response`, limited.exchange);
      const json = await respond(ctx, probe, { store: false, max_output_tokens: 48, text: { format: { type: "json_schema", name: "answer", schema: smallSchema, strict: true } } });
      const text = json.status === 200 ? outputItems(json, "text.format json_schema").flatMap((item) => (Array.isArray(item.content) ? (item.content as unknown[]) : [])).map((part) => object(part)?.text).join("") : undefined;
      expectJsonContent(json, text, smallSchema, "text.format json_schema");
      const called = await respond(ctx, probe, { store: false, max_output_tokens: 200, tools: [weather], tool_choice: "required", input: "Weather in Oslo?" });
      const call = outputItems(called, "tool_choice required").find((item) => item.type === "function_call");
      expect(call && typeof call.call_id === "string" && call.name === "get_weather" && typeof call.arguments === "string", "no function_call item with call_id, name and arguments", called.exchange);
      for (const choice of ["auto", "none", { type: "function", name: "get_weather" }]) outputItems(await respond(ctx, probe, { store: false, max_output_tokens: typeof choice === "string" ? 30 : 200, tools: [weather], tool_choice: choice }), `tool_choice ${JSON.stringify(choice)}`);
    },
  },
  {
    id: "§9-5",
    level: "MUST",
    title: "the response object has its fields, usage and the request's echo",
    async run(ctx, probe) {
      await responsesServed(ctx, probe);
      const { first } = await storedChain(ctx, probe);
      const body = ok(first, "a response");
      expect(typeof body.id === "string" && body.id.startsWith("resp_") && body.object === "response" && typeof body.created_at === "number", "id resp_…, object or created_at is wrong", first.exchange);
      const echo = ["instructions", "max_output_tokens", "temperature", "top_p", "tools", "tool_choice", "text", "store", "previous_response_id", "parallel_tool_calls", "metadata", "model", "status"];
      const missing = echo.filter((key) => !(key in body));
      expect(missing.length === 0, `missing: ${missing.join(", ")}`, first.exchange);
      const usage = object(body.usage);
      const counts = usage && [usage.input_tokens, usage.output_tokens, usage.total_tokens, object(usage.input_tokens_details)?.cached_tokens, object(usage.output_tokens_details)?.reasoning_tokens];
      expect(counts?.every((n) => typeof n === "number"), "usage lacks a count", first.exchange);
      const message = outputItems(first, "a response").find((item) => item.type === "message");
      expect(message && typeof message.id === "string" && message.id.startsWith("msg_") && message.role === "assistant", "no message item msg_… from the assistant", first.exchange);
      const part = object(Array.isArray(message.content) ? message.content[0] : undefined);
      expect(!part || (part.type === "output_text" && typeof part.text === "string" && Array.isArray(part.annotations)), "a content part is not output_text with text and annotations", first.exchange);
    },
  },
  {
    id: "§9-6",
    level: "MUST",
    title: "what the server does not serve is refused (400 unsupported_parameter); unknown parameters too",
    async run(ctx, probe) {
      await responsesServed(ctx, probe);
      const background = await respond(ctx, probe, { store: false, background: true });
      if (background.status !== 200) expectError(background, 400, "unsupported_parameter", names("background"), '"background"');
      expectError(await respond(ctx, probe, { store: false, max_output_tokenz: 3 }), 400, "unknown_parameter", names("max_output_tokenz"), '"max_output_tokenz"');
    },
  },
  {
    id: "§9-7",
    level: "MUST",
    title: "a stream is typed, numbered events from response.created to response.completed",
    async run(ctx, probe) {
      const model = await responsesServed(ctx, probe);
      const { answer, events } = await probe.stream("/v1/responses", { model, input: "Say hi.", max_output_tokens: 6, stream: true, store: false }, { maxEvents: 300 });
      expect(answer.status === 200, `answered ${answer.status}`, answer.exchange);
      const parsed = events.map((event) => ({ event: event.event, data: object(safeParse(event.data)) }));
      parsed.forEach(({ event, data }, index) => {
        expect(data && event === data.type, `event ${index}: the event line (${String(event)}) is not the data's type`, answer.exchange);
        expect(data.sequence_number === index, `event ${index}: sequence_number ${String(data.sequence_number)}`, answer.exchange);
      });
      const types = parsed.map(({ data }) => data?.type);
      expect(types[0] === "response.created" && types[1] === "response.in_progress", "the stream does not start with response.created, response.in_progress", answer.exchange);
      expect(types.at(-1) === "response.completed" || types.at(-1) === "response.incomplete", "the stream does not end with response.completed", answer.exchange);
      const order = ["response.output_item.added", "response.content_part.added", "response.output_text.done", "response.content_part.done", "response.output_item.done"];
      const positions = order.map((type) => types.indexOf(type));
      expect(positions.every((at, i) => at > 0 && (i === 0 || at > (positions[i - 1] ?? 0))), `message events are missing or out of order: ${types.join(", ")}`, answer.exchange);
    },
  },
  {
    id: "§9-8",
    level: "MUST",
    title: "stored responses are kept, continued with previous_response_id, retrieved and deleted",
    async run(ctx, probe) {
      await responsesServed(ctx, probe);
      const { first, second } = await storedChain(ctx, probe);
      const id = String(ok(first, "a stored response").id);
      const continued = ok(second, "a continuation");
      expect(continued.previous_response_id === id, "the continuation does not echo previous_response_id", second.exchange);
      expect((object(continued.usage)?.input_tokens as number) > (object(ok(first, "").usage)?.input_tokens as number), "the continuation's input is not longer than the first's: the conversation was not carried", second.exchange);
      const got = await probe.send("GET", `/v1/responses/${id}`);
      expect(ok(got, "GET the stored response").id === id, "GET returned another response", got.exchange);
      const deleted = await probe.send("DELETE", `/v1/responses/${id}`);
      const body = ok(deleted, "DELETE the stored response");
      expect(body.id === id && body.deleted === true && body.object === "response", 'not {"id", "object": "response", "deleted": true}', deleted.exchange);
      ctx.createdResponses.delete(id);
    },
  },
  {
    id: "§9-9",
    level: "MUST",
    title: "previous_response_id naming nothing stored: 404 previous_response_not_found",
    async run(ctx, probe) {
      await responsesServed(ctx, probe);
      const unknown = await respond(ctx, probe, { previous_response_id: "resp_conformance_unknown" });
      expectError(unknown, 404, "previous_response_not_found", names("previous_response_id"), '"previous_response_id"');
      const unstored = await respond(ctx, probe, { store: false });
      const id = object(unstored.json)?.id;
      expect(typeof id === "string", "a store: false response has no id", unstored.exchange);
      expectError(await respond(ctx, probe, { previous_response_id: id }), 404, "previous_response_not_found", names("previous_response_id"), '"previous_response_id"');
    },
  },
  {
    id: "§9-10",
    level: "MUST",
    title: "GET and DELETE of an unknown id: 404 response_not_found",
    async run(ctx, probe) {
      await responsesServed(ctx, probe);
      for (const method of ["GET", "DELETE"]) expectError(await probe.send(method, "/v1/responses/resp_conformance_unknown"), 404, "response_not_found");
    },
  },
];

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
