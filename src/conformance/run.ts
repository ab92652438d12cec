/**
 * Runs the conformance suite against one server: reads what it says about itself, picks a chat and an
 * embedding model by their `chai` metadata, runs every check (a broken or foreign server gives failures,
 * never a crash), removes what it created, and scores the results.
 */
import type { ChaiDiscovery } from "../client/types.js";
import { allChecks, sectionOf } from "./checks/index.js";
import { cancelPairing } from "../client/pair.js";
import { object, type ConformanceContext, type SeenModel } from "./context.js";
import { Probe } from "./probe.js";
import { scoreOf } from "./score.js";
import { CheckFailure, NotApplicable, type CheckResult, type ConformanceReport, type Score } from "./types.js";

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  /** The server's URL (its origin is used). */
  url: string;
  /** A bearer token for the API. Default: none. */
  token?: string;
  /** Only this section's checks (the setup still reads discovery and models). Default: all. */
  section?: number;
  /** The chat model to use. Default: chosen by `chai` metadata (loaded, then smallest), else the first listed. */
  model?: string;
  /** The embedding model to use. Default: one whose `chai.capabilities.embeddings` is true. */
  embeddingModel?: string;
  /** Browse mDNS for the server's advertisement (§6-3). Default true. */
  mdns?: boolean;
  /** The most requests the run may send. Default 200. */
  maxRequests?: number;
  /** How long one request may take, in milliseconds. Default 120000 (a first request may load the model). */
  timeoutMs?: number;
  /** Called after each check, for progress output. Default: nothing. */
  onResult?: (result: CheckResult) => void;
}

function isDiscovery(value: unknown): value is ChaiDiscovery {
  const body = object(value);
  return typeof body?.chai_version === "string" && Array.isArray(body.features) && object(body.auth) !== undefined && object(body.box) !== undefined;
}

/** Smallest first, a loaded model before one that would have to load. */
function cheapest(models: SeenModel[]): SeenModel | undefined {
  return [...models].sort((a, b) => Number(b.chai?.state === "loaded") - Number(a.chai?.state === "loaded") || (a.chai?.size_bytes ?? 0) - (b.chai?.size_bytes ?? 0))[0];
}

async function setUp(options: ConformanceOptions, probe: Probe): Promise<ConformanceContext> {
  const ctx: ConformanceContext = {
    probe,
    token: options.token,
    discovery: null,
    discoveryAnswer: undefined,
    models: [],
    modelsAnswer: undefined,
    chatModel: options.model ?? null,
    embeddingModel: options.embeddingModel ?? null,
    authRequired: null,
    mdns: options.mdns ?? true,
    createdResponses: new Set(),
    createdPairings: new Set(),
    memo: new Map(),
  };
  // A server that does not answer at all is reported by the checks; the setup goes on without what it lacks.
  const attempt = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof CheckFailure) return undefined;
      throw error;
    }
  };
  ctx.discoveryAnswer = await attempt(() => probe.send("GET", "/.well-known/chai", { token: false }));
  if (ctx.discoveryAnswer?.status === 200 && isDiscovery(ctx.discoveryAnswer.json)) ctx.discovery = ctx.discoveryAnswer.json;
  ctx.modelsAnswer = await attempt(() => probe.send("GET", "/v1/models"));
  const data = object(ctx.modelsAnswer?.json)?.data;
  if (ctx.modelsAnswer?.status === 200 && Array.isArray(data)) ctx.models = data.filter((entry): entry is SeenModel => typeof object(entry)?.id === "string");
  ctx.authRequired = ctx.discovery?.auth.required ?? null;
  if (ctx.authRequired === null) {
    const open = await attempt(() => probe.send("GET", "/v1/models", { token: false }));
    ctx.authRequired = open?.status === 401 ? true : open?.status === 200 ? false : null;
  }
  const described = ctx.models.filter((model) => object(model.chai) !== undefined);
  if (ctx.chatModel === null) {
    const chat = described.filter((model) => model.chai?.modalities.output.includes("text") === true);
    ctx.chatModel = (described.length > 0 ? cheapest(chat)?.id : ctx.models[0]?.id) ?? null;
  }
  ctx.embeddingModel ??= cheapest(described.filter((model) => model.chai?.capabilities.embeddings === true))?.id ?? null;
  return ctx;
}

/** Deletes the stored responses and withdraws the pairing requests the run made. */
async function cleanUp(ctx: ConformanceContext, probe: Probe): Promise<void> {
  for (const id of ctx.createdResponses) await probe.send("DELETE", `/v1/responses/${id}`).catch(() => undefined);
  for (const deviceCode of ctx.createdPairings) await cancelPairing(probe.origin, deviceCode).catch(() => undefined);
}

/** Runs the suite and returns its report. */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const origin = new URL(options.url).origin;
  const probe = new Probe(origin, options.token, { maxRequests: options.maxRequests ?? 200, timeoutMs: options.timeoutMs ?? 120_000 });
  const date = new Date().toISOString();
  const ctx = await setUp(options, probe);
  const results: CheckResult[] = [];
  try {
    for (const check of allChecks) {
      if (options.section !== undefined && sectionOf(check.id) !== options.section) continue;
      const base = { id: check.id, level: check.level, title: check.title };
      let result: CheckResult;
      try {
        await check.run(ctx, probe);
        result = { ...base, outcome: "pass" };
      } catch (error) {
        if (error instanceof NotApplicable) result = { ...base, outcome: "na", reason: error.message };
        else if (error instanceof CheckFailure) result = { ...base, outcome: "fail", reason: error.message, ...(error.exchange && { exchange: error.exchange }) };
        else result = { ...base, outcome: "fail", reason: `the check could not run: ${(error as Error).message}` };
      }
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await cleanUp(ctx, probe);
  }
  const sections: Record<string, Score> = {};
  for (const section of new Set(results.map((result) => sectionOf(result.id)))) sections[`§${section}`] = scoreOf(results.filter((result) => sectionOf(result.id) === section));
  return {
    url: origin,
    date,
    server: ctx.discovery ? { ...ctx.discovery.server } : null,
    chatModel: ctx.chatModel,
    embeddingModel: ctx.embeddingModel,
    authRequired: ctx.authRequired,
    requests: probe.count,
    results,
    sections,
    overall: scoreOf(results),
  };
}
