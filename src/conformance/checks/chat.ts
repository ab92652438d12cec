/** Checks of §3: Chat Completions. */
import { chatModel, expect, expectError, names, object, ok } from "../context.js";
import type { Check } from "../types.js";
import { chat, expectJsonContent, firstChoice, smallSchema, weatherTool } from "./chat-request.js";

const callId = "call_conformance_1";

export const chatChecks: Check[] = [
  {
    id: "§3-1",
    level: "MUST",
    title: "messages of every role, content as string, null or text parts",
    async run(ctx, probe) {
      const answer = await chat(probe, chatModel(ctx), {
        tools: [weatherTool],
        messages: [
          { role: "system", content: "You are brief." },
          { role: "developer", content: "Answer in English." },
          { role: "user", content: [{ type: "text", text: "Weather in Oslo?" }] },
          { role: "assistant", content: null, tool_calls: [{ id: callId, type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] },
          { role: "tool", tool_call_id: callId, content: "Sunny" },
          { role: "assistant", content: "It is sunny." },
          { role: "user", content: "Thanks." },
        ],
      });
      firstChoice(answer, "a conversation of every role");
    },
  },
  {
    id: "§3-2",
    level: "MUST",
    title: "sampling and length parameters are served",
    async run(ctx, probe) {
      const answer = await chat(probe, chatModel(ctx), {
        max_tokens: 50,
        max_completion_tokens: 3,
        temperature: 0.7,
        top_p: 0.9,
        seed: 42,
        stop: ["\n\n\n", "STOP"],
        presence_penalty: 0.5,
        frequency_penalty: 0.5,
        logit_bias: { "1": -100 },
      });
      firstChoice(answer, "every sampling parameter");
      const usage = object(object(answer.json)?.usage);
      expect(typeof usage?.completion_tokens === "number" && usage.completion_tokens <= 3, "max_completion_tokens 3 (over max_tokens 50) was not the limit", answer.exchange);
      const single = await chat(probe, chatModel(ctx), { stop: "STOP", temperature: 0, max_tokens: 2 });
      firstChoice(single, "stop as one string");
    },
  },
  {
    id: "§3-3",
    level: "MUST",
    title: "response_format text, json_object and json_schema are served",
    async run(ctx, probe) {
      const text = await chat(probe, chatModel(ctx), { response_format: { type: "text" } });
      firstChoice(text, "response_format text");
      const json = await chat(probe, chatModel(ctx), { max_tokens: 48, response_format: { type: "json_object" }, messages: [{ role: "user", content: "Reply with a JSON object." }] });
      expectJsonContent(json, json.status === 200 ? firstChoice(json, "json_object").message.content : undefined, undefined, "response_format json_object");
    },
  },
  {
    id: "§3-4",
    level: "MUST",
    title: "json_schema output parses and validates against the schema",
    async run(ctx, probe) {
      const answer = await chat(probe, chatModel(ctx), {
        max_tokens: 48,
        response_format: { type: "json_schema", json_schema: { name: "answer", strict: true, schema: smallSchema } },
        messages: [{ role: "user", content: 'Reply {"ok": true}.' }],
      });
      expectJsonContent(answer, answer.status === 200 ? firstChoice(answer, "json_schema").message.content : undefined, smallSchema, "response_format json_schema");
    },
  },
  {
    id: "§3-5",
    level: "MUST",
    title: "output that cannot conform is an invalid_model_output error, not content",
    async run(ctx, probe) {
      // One token cannot hold a whole object: the server must either finish it anyway or refuse.
      const answer = await chat(probe, chatModel(ctx), {
        max_tokens: 1,
        response_format: { type: "json_schema", json_schema: { name: "answer", strict: true, schema: smallSchema } },
      });
      expectJsonContent(answer, answer.status === 200 ? firstChoice(answer, "json_schema, 1 token").message.content : undefined, smallSchema, "json_schema in 1 token");
    },
  },
  {
    id: "§3-6",
    level: "MUST",
    title: "tools with tool_choice auto, none, required and a named function",
    async run(ctx, probe) {
      const model = chatModel(ctx);
      for (const choice of ["auto", "none"]) firstChoice(await chat(probe, model, { tools: [weatherTool], tool_choice: choice }), `tool_choice ${choice}`);
      for (const choice of ["required", { type: "function", function: { name: "get_weather" } }]) {
        const answer = await chat(probe, model, { max_tokens: 200, tools: [weatherTool], tool_choice: choice, messages: [{ role: "user", content: "Weather in Oslo?" }] });
        const what = `tool_choice ${JSON.stringify(choice)}`;
        const { message, finish_reason } = firstChoice(answer, what);
        const calls = message.tool_calls;
        expect(Array.isArray(calls) && calls.length > 0, `${what}: no message.tool_calls`, answer.exchange);
        expect(finish_reason === "tool_calls", `${what}: finish_reason is ${JSON.stringify(finish_reason)}, not "tool_calls"`, answer.exchange);
        for (const call of calls as unknown[]) {
          const entry = object(call);
          const fn = object(entry?.function);
          expect(typeof entry?.id === "string" && entry.type === "function" && fn?.name === "get_weather", `${what}: a call lacks id, type "function" or the tool's name`, answer.exchange);
          expect(typeof fn.arguments === "string", `${what}: function.arguments is not JSON text`, answer.exchange);
          expect(isJson(fn.arguments), `${what}: function.arguments does not parse`, answer.exchange);
        }
        expect(message.content === null || (typeof message.content === "string" && message.content !== ""), `${what}: content is "" rather than null`, answer.exchange);
      }
    },
  },
  {
    id: "§3-7",
    level: "MUST",
    title: "a tool message whose id no call has is refused (400, param naming it)",
    async run(ctx, probe) {
      const answer = await chat(probe, chatModel(ctx), {
        messages: [
          { role: "user", content: "Weather?" },
          { role: "tool", tool_call_id: "call_nobody_made", content: "Sunny" },
        ],
      });
      expect(answer.status === 400, `answered ${answer.status}, expected 400`, answer.exchange);
      expectError(answer, 400, (object(object(answer.json)?.error)?.code as string | null) ?? null, names("tool_call_id", "messages"), "the tool message (messages[1].tool_call_id)");
    },
  },
  {
    id: "§3-8",
    level: "MUST",
    title: "usage has prompt, completion and total token counts",
    async run(ctx, probe) {
      const answer = await chat(probe, chatModel(ctx), { max_tokens: 4 });
      const usage = object(ok(answer, "a chat").usage);
      expect(usage, "no usage", answer.exchange);
      const { prompt_tokens: p, completion_tokens: c, total_tokens: t } = usage;
      expect(typeof p === "number" && typeof c === "number" && typeof t === "number", "usage lacks a count", answer.exchange);
      expect(p > 0 && c >= 0 && c <= 4 && t === p + c, `counts do not add up or exceed max_tokens: ${JSON.stringify(usage)}`, answer.exchange);
    },
  },
  {
    id: "§3-13",
    level: "SHOULD",
    title: "usage reports the cached prompt tokens (prompt_tokens_details.cached_tokens)",
    async run(ctx, probe) {
      // The same prompt twice: a server with a prompt cache reuses the first one's tokens.
      await chat(probe, chatModel(ctx), { max_tokens: 1 });
      const answer = await chat(probe, chatModel(ctx), { max_tokens: 1 });
      const usage = object(ok(answer, "a chat").usage);
      const cached = object(usage?.prompt_tokens_details)?.cached_tokens;
      expect(typeof cached === "number", "usage.prompt_tokens_details.cached_tokens is missing", answer.exchange);
      expect(cached <= (usage?.prompt_tokens as number), `cached_tokens ${cached} exceeds prompt_tokens`, answer.exchange);
    },
  },
  {
    id: "§3-9",
    level: "MUST",
    title: "parameters the server does not serve are refused (400 unsupported_parameter)",
    async run(ctx, probe) {
      // n = 2 would change the result; a server that serves it is right to accept it.
      const answer = await chat(probe, chatModel(ctx), { n: 2 });
      if (answer.status === 200) {
        const choices = object(answer.json)?.choices;
        expect(Array.isArray(choices) && choices.length === 2, "n: 2 was accepted but did not give 2 choices", answer.exchange);
        return;
      }
      expectError(answer, 400, "unsupported_parameter", names("n"), '"n"');
    },
  },
  {
    id: "§3-10",
    level: "MUST",
    title: "unknown parameters are refused (400 unknown_parameter)",
    async run(ctx, probe) {
      const answer = await chat(probe, chatModel(ctx), { temprature: 0.5 });
      expectError(answer, 400, "unknown_parameter", names("temprature"), '"temprature"');
    },
  },
];

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
