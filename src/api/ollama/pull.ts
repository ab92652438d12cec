/**
 * `POST /api/pull`: downloads a model through the pull manager and reports it as Ollama's status objects:
 * `pulling manifest`, then `{status, digest, total, completed}` as bytes arrive, `verifying sha256 digest`,
 * `writing manifest`, `success`. Names resolve through the catalog (`qwen3:4b`, `qwen3-4b`), and `hf:` URIs
 * and URLs work too. A client that disconnects leaves the download running; pulling again joins it.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ChaiboxError } from "../../errors.js";
import type { PullEvent, PullStatus } from "../../models/pull/pull-status.js";
import { installedIdFor } from "../../models/ollama-names.js";
import { abortOnDisconnect, StreamWriter } from "../streaming.js";
import type { OllamaOptions } from "./context.js";
import { PullBody } from "./schemas.js";

/** Ollama names a layer by its digest; chaibox's file has the catalog's SHA-256, or else the pull's id. */
function digestOf(pull: PullStatus): string {
  return `sha256:${pull.sha256 ?? pull.id.padStart(64, "0")}`;
}

function progressOf(pull: PullStatus): object {
  const digest = digestOf(pull);
  return { status: `pulling ${digest.slice(7, 19)}`, digest, total: pull.totalBytes ?? pull.receivedBytes, completed: pull.receivedBytes };
}

/** The status objects one pull event becomes (several for the final one). */
export function pullStatuses(event: PullEvent): object[] {
  const { pull } = event;
  switch (event.type) {
    case "error":
      return [{ error: pull.error?.message ?? `the download ${pull.state}` }];
    case "done":
      return [{ status: "writing manifest" }, { status: "success" }];
    default:
      if (pull.state === "queued") return [];
      if (pull.state === "cancelled" || pull.state === "failed") return [{ error: pull.error?.message ?? `the download was ${pull.state}` }];
      // Progress events are spaced out: the last bytes are reported when the download turns to verifying.
      if (pull.state === "verifying") return [progressOf(pull), { status: "verifying sha256 digest" }];
      return [progressOf(pull)];
  }
}

function failure(pull: PullStatus): ChaiboxError {
  return new ChaiboxError(pull.error?.code ?? "download_failed", pull.error?.message ?? `the download was ${pull.state}`);
}

export const pullRoute: FastifyPluginAsyncTypebox<OllamaOptions> = async (app, options) => {
  app.post("/pull", { schema: { body: PullBody } }, async (request, reply) => {
    const name = request.body.model ?? request.body.name;
    if (name === undefined) throw new ChaiboxError("invalid_request", "model is required", { param: "model" });
    const stream = request.body.stream !== false;
    const installed = new Set((await options.store.list()).map((m) => m.id));
    if (installedIdFor(name, installed) !== undefined) {
      if (!stream) return { status: "success" };
      const ndjson = new StreamWriter(reply, "application/x-ndjson");
      for (const status of ["pulling manifest", "verifying sha256 digest", "writing manifest", "success"]) await ndjson.write({ status });
      ndjson.end();
      return reply;
    }
    const target = await options.resolvePull(name);
    const started = await options.pulls.start({ ref: target.ref, ...(target.id !== undefined && { id: target.id }) });
    const signal = abortOnDisconnect(request, reply);
    if (!stream) {
      for await (const event of options.pulls.events(started.id, signal)) {
        if (event.type === "done") return { status: "success" };
        if (event.type === "error") throw failure(event.pull);
      }
      // Only a client that went away ends the events early: nobody is left to answer.
      throw new ChaiboxError("download_failed", "the download ended without a result");
    }
    const ndjson = new StreamWriter(reply, "application/x-ndjson");
    try {
      await ndjson.write({ status: "pulling manifest" });
      for await (const event of options.pulls.events(started.id, signal)) {
        for (const status of pullStatuses(event)) await ndjson.write(status);
        if (event.type === "done" || event.type === "error") break;
      }
    } finally {
      ndjson.end();
    }
    return reply;
  });
};
