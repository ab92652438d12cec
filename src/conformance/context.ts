/**
 * What the checks share: the server's discovery document and models, the chat and embedding models chosen by
 * their `chai` metadata, whether the API needs a token, and the things the run created, to remove at the end.
 */
import type { ChaiDiscovery, ChaiModel } from "../client/types.js";
import type { Answer, Probe } from "./probe.js";
import { CheckFailure, NotApplicable, type Exchange } from "./failures.js";

/** A `/v1/models` entry as seen: `chai` only where the server sends one. */
export type SeenModel = Pick<ChaiModel, "id"> & Partial<Omit<ChaiModel, "id">> & Record<string, unknown>;

/** The pairing request the run made (at most one), shared by the checks of §7 and §12. */
export interface PairingSeen {
  request: Answer;
  /** The first poll's answer, right after the request. */
  poll: Answer | undefined;
  /** The answer to withdrawing it. */
  cancel: Answer | undefined;
  /** A poll after withdrawing. */
  afterCancel: Answer | undefined;
}

export interface ConformanceContext {
  probe: Probe;
  token: string | undefined;
  discovery: ChaiDiscovery | null;
  discoveryAnswer: Answer | undefined;
  models: SeenModel[];
  modelsAnswer: Answer | undefined;
  chatModel: string | null;
  embeddingModel: string | null;
  authRequired: boolean | null;
  /** Skip the mDNS browse (tests, servers off the local network). */
  mdns: boolean;
  /** Stored responses to delete at the end. */
  createdResponses: Set<string>;
  /** Device codes of pairing requests to withdraw at the end. */
  createdPairings: Set<string>;
  /** Memoized shared work (one pairing, one stored response chain…). */
  memo: Map<string, Promise<unknown>>;
}

/** Runs `work` once per context under `key` and shares its result. */
export function once<T>(ctx: ConformanceContext, key: string, work: () => Promise<T>): Promise<T> {
  let pending = ctx.memo.get(key) as Promise<T> | undefined;
  if (!pending) {
    pending = work();
    ctx.memo.set(key, pending);
  }
  return pending;
}

/** Fails the check unless `condition` holds. */
export function expect(condition: unknown, message: string, exchange?: Exchange): asserts condition {
  if (!condition) throw new CheckFailure(message, exchange);
}

/** A plain object, or undefined. */
export function object(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The `error` object of an answer in the §4 envelope, or a failure saying what is wrong with it. */
export function envelope(answer: Answer): { message: unknown; type: unknown; param: unknown; code: unknown } {
  const error = object(object(answer.json)?.error);
  expect(error, `the answer (${answer.status}) has no {"error": {…}} envelope`, answer.exchange);
  for (const key of ["message", "type", "param", "code"]) expect(key in error, `the error envelope lacks "${key}"`, answer.exchange);
  expect(typeof error.message === "string", "error.message is not a string", answer.exchange);
  const type = answer.status >= 500 ? "server_error" : "invalid_request_error";
  expect(error.type === type, `error.type is ${JSON.stringify(error.type)}, not "${type}" for a ${answer.status}`, answer.exchange);
  return error as { message: unknown; type: unknown; param: unknown; code: unknown };
}

/** Fails unless `answer` is an error with this status and code (and `param`, when given). */
export function expectError(answer: Answer, status: number, code: string | null, param?: (value: unknown) => boolean, paramText?: string): void {
  expect(answer.status === status, `answered ${answer.status}, expected ${status}${code === null ? "" : ` ${code}`}`, answer.exchange);
  const error = envelope(answer);
  expect(error.code === code, `error.code is ${JSON.stringify(error.code)}, expected ${JSON.stringify(code)}`, answer.exchange);
  if (param) expect(param(error.param), `error.param is ${JSON.stringify(error.param)}, expected ${paramText ?? "the parameter's name"}`, answer.exchange);
}

/** A param matcher: the name, or a path under it (`messages[2].tool_call_id`). */
export function names(...candidates: string[]): (value: unknown) => boolean {
  return (value) => typeof value === "string" && candidates.some((name) => value === name || value.includes(name));
}

/** The chat model, or NotApplicable. */
export function chatModel(ctx: ConformanceContext): string {
  if (ctx.chatModel === null) throw new NotApplicable("the server lists no chat model");
  return ctx.chatModel;
}

/** The embedding model, or NotApplicable. */
export function embeddingModel(ctx: ConformanceContext): string {
  if (ctx.embeddingModel === null) throw new NotApplicable("the server lists no embedding model (pass --embedding-model to name one)");
  return ctx.embeddingModel;
}

/** Fails unless the answer is 200 with a JSON object; returns it. */
export function ok(answer: Answer, what: string): Record<string, unknown> {
  expect(answer.status === 200, `${what}: answered ${answer.status}, expected 200`, answer.exchange);
  const body = object(answer.json);
  expect(body, `${what}: the answer is not a JSON object`, answer.exchange);
  return body;
}

/** Whether the discovery document lists a feature; null when there is no document. */
export function listsFeature(ctx: ConformanceContext, feature: string): boolean | null {
  return ctx.discovery ? ctx.discovery.features.includes(feature as ChaiDiscovery["features"][number]) : null;
}

/** The context length to exceed: the model's `chai.context_length`, else a size no small server serves. */
export function contextToExceed(ctx: ConformanceContext, model: string): number {
  const chai = ctx.models.find((entry) => entry.id === model)?.chai;
  return Math.min(chai?.context_length ?? 32_768, 65_536);
}
