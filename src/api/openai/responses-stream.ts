/**
 * The Responses API's event sequence, as a pure state machine: the engine's {@link ChatEvent}s in, OpenAI's
 * stream events out, each numbered with `sequence_number`. The non-streaming route runs the same machine and
 * keeps only its final response, so both forms of a response are built by one piece of code.
 *
 * Sequence: `response.created`, `response.in_progress`; per text message `output_item.added`,
 * `content_part.added`, `output_text.delta`…, `output_text.done`, `content_part.done`, `output_item.done`;
 * per function call `output_item.added`, `function_call_arguments.delta`, `.done`, `output_item.done`; then
 * `response.completed` (or `response.incomplete` at the token limit). A failure gives `error` and
 * `response.failed`.
 */
import type { ChatEvent, ToolCall } from "../../engine/contract.js";
import type { NormalizedError } from "../errors.js";
import {
  functionCallItem,
  functionCallItemId,
  messageItem,
  messageItemId,
  outputText,
  responseObject,
  type OutputItem,
  type OutputText,
  type ResponseMeta,
  type ResponseObject,
  type ResponseState,
} from "./responses-mapping.js";

type Numbered<T extends string, F> = { type: T; sequence_number: number } & F;
type ItemRef = { item_id: string; output_index: number };

/** One server-sent event of a streamed response; `type` is also the SSE event name. */
export type ResponseStreamEvent =
  | Numbered<"response.created" | "response.in_progress" | "response.completed" | "response.incomplete" | "response.failed", { response: ResponseObject }>
  | Numbered<"response.output_item.added" | "response.output_item.done", { output_index: number; item: OutputItem }>
  | Numbered<"response.content_part.added" | "response.content_part.done", ItemRef & { content_index: number; part: OutputText }>
  | Numbered<"response.output_text.delta", ItemRef & { content_index: number; delta: string; logprobs: never[] }>
  | Numbered<"response.output_text.done", ItemRef & { content_index: number; text: string; logprobs: never[] }>
  | Numbered<"response.function_call_arguments.delta", ItemRef & { delta: string }>
  | Numbered<"response.function_call_arguments.done", ItemRef & { name: string; arguments: string }>
  | Numbered<"error", { code: string | null; message: string; param: string | null }>;

type Unnumbered = ResponseStreamEvent extends infer E ? (E extends ResponseStreamEvent ? Omit<E, "sequence_number"> : never) : never;

/** Builds one response from its generation; see the module comment for the sequence. */
export class ResponseEventBuilder {
  private sequence = 0;
  private readonly output: OutputItem[] = [];
  private message: { id: string; index: number } | undefined;
  private allText = "";
  private readonly allCalls: ToolCall[] = [];
  private final: ResponseObject | undefined;

  /** `now` gives milliseconds (default `Date.now`), for `completed_at`. */
  constructor(
    private readonly meta: ResponseMeta,
    private readonly now: () => number = Date.now,
  ) {}

  /** The finished response (completed, incomplete or failed); undefined while it is generated. */
  get result(): ResponseObject | undefined {
    return this.final;
  }

  /** All the text the model generated. */
  get text(): string {
    return this.allText;
  }

  /** The function calls the model made. */
  get toolCalls(): readonly ToolCall[] {
    return this.allCalls;
  }

  /** The events that open the stream. */
  start(): ResponseStreamEvent[] {
    const snapshot = this.snapshot({ status: "in_progress", output: [], usage: null });
    return [this.event({ type: "response.created", response: snapshot }), this.event({ type: "response.in_progress", response: snapshot })];
  }

  /** The events one engine event gives. */
  push(event: ChatEvent): ResponseStreamEvent[] {
    if (event.type === "text") return [...this.openMessage(), this.delta(event.text)];
    if (event.type === "tool_calls") return [...this.closeMessage("completed"), ...event.calls.flatMap((call) => this.functionCall(call))];
    // Thinking is not part of the answer, and this dialect has no place for it yet.
    if (event.type !== "done") return [];
    const incomplete = event.finishReason === "length";
    // A response always says something: one that produced neither text nor a call has an empty message.
    const events = this.output.length === 0 && !this.message ? this.openMessage() : [];
    events.push(...this.closeMessage(incomplete ? "incomplete" : "completed"));
    const state: ResponseState = { status: incomplete ? "incomplete" : "completed", output: this.output, usage: event.usage };
    if (!incomplete) state.completedAt = Math.floor(this.now() / 1000);
    this.final = this.snapshot(state);
    events.push(this.event({ type: incomplete ? "response.incomplete" : "response.completed", response: this.final }));
    return events;
  }

  /** The events that end a stream after a failure: OpenAI's `error` event, then `response.failed`. */
  fail(error: NormalizedError): ResponseStreamEvent[] {
    if (this.message) this.output.push(this.messageItem("incomplete"));
    this.message = undefined;
    const code = error.status >= 500 ? "server_error" : "invalid_prompt";
    this.final = this.snapshot({ status: "failed", output: this.output, usage: null, error: { code, message: error.message } });
    return [
      this.event({ type: "error", code: error.code, message: error.message, param: error.param }),
      this.event({ type: "response.failed", response: this.final }),
    ];
  }

  private event(event: Unnumbered): ResponseStreamEvent {
    return { ...event, sequence_number: this.sequence++ };
  }

  /** A copy: the events' snapshots must not change as the response goes on. */
  private snapshot(state: ResponseState): ResponseObject {
    return structuredClone(responseObject(this.meta, state));
  }

  private messageItem(status: "in_progress" | "completed" | "incomplete"): OutputItem {
    return messageItem(this.message?.id ?? "", status, status === "in_progress" ? undefined : this.allText);
  }

  private openMessage(): ResponseStreamEvent[] {
    if (this.message) return [];
    this.message = { id: messageItemId(), index: this.output.length };
    const ref = { item_id: this.message.id, output_index: this.message.index };
    return [
      this.event({ type: "response.output_item.added", output_index: ref.output_index, item: this.messageItem("in_progress") }),
      this.event({ type: "response.content_part.added", ...ref, content_index: 0, part: outputText("") }),
    ];
  }

  private delta(text: string): ResponseStreamEvent {
    this.allText += text;
    const ref = { item_id: this.message?.id ?? "", output_index: this.message?.index ?? 0 };
    return this.event({ type: "response.output_text.delta", ...ref, content_index: 0, delta: text, logprobs: [] });
  }

  private closeMessage(status: "completed" | "incomplete"): ResponseStreamEvent[] {
    if (!this.message) return [];
    const ref = { item_id: this.message.id, output_index: this.message.index };
    const item = this.messageItem(status);
    this.output.push(item);
    this.message = undefined;
    return [
      this.event({ type: "response.output_text.done", ...ref, content_index: 0, text: this.allText, logprobs: [] }),
      this.event({ type: "response.content_part.done", ...ref, content_index: 0, part: outputText(this.allText) }),
      this.event({ type: "response.output_item.done", output_index: ref.output_index, item: structuredClone(item) }),
    ];
  }

  private functionCall(call: ToolCall): ResponseStreamEvent[] {
    this.allCalls.push(call);
    const ref = { item_id: functionCallItemId(), output_index: this.output.length };
    const done = functionCallItem(ref.item_id, "completed", call, call.arguments);
    this.output.push(done);
    return [
      this.event({ type: "response.output_item.added", output_index: ref.output_index, item: functionCallItem(ref.item_id, "in_progress", call, "") }),
      // The runner hands over a call whole (its arguments are checked before they are released): one delta.
      this.event({ type: "response.function_call_arguments.delta", ...ref, delta: call.arguments }),
      this.event({ type: "response.function_call_arguments.done", ...ref, name: call.name, arguments: call.arguments }),
      this.event({ type: "response.output_item.done", output_index: ref.output_index, item: structuredClone(done) }),
    ];
  }
}
