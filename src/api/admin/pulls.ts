/**
 * Model downloads: `POST /admin/models/pulls` starts one (or joins the one already downloading that file),
 * `GET …/pulls[/{id}]` reads state, `GET …/pulls/{id}/events` streams progress as SSE, `DELETE …/pulls/{id}`
 * cancels.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { PullEvent, PullRequest, PullStatus } from "../../models/pull/pull-manager.js";
import { abortOnDisconnect, StreamWriter } from "../streaming.js";
import type { List, Pull } from "./admin-api.js";

/** What the pull routes use of the pull manager. */
export interface PullService {
  start(request: PullRequest): Promise<PullStatus>;
  get(id: string): PullStatus;
  list(): PullStatus[];
  events(id: string, signal?: AbortSignal): AsyncIterable<PullEvent>;
  cancel(id: string): Promise<PullStatus>;
}

export interface PullRoutesOptions {
  pulls: PullService;
}

const PullBody = Type.Object(
  {
    ref: Type.String({ minLength: 1, maxLength: 2048, description: "catalog name[:quant], hf:<owner>/<repo>/<file.gguf>, or an http(s) URL" }),
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "install under this model id" })),
  },
  { additionalProperties: false },
);
const PullParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const pullRoutes: FastifyPluginAsyncTypebox<PullRoutesOptions> = async (app, { pulls }) => {
  app.post("/models/pulls", { schema: { body: PullBody } }, async (request, reply) => {
    const { ref, id } = request.body;
    const status = await pulls.start({ ref, ...(id !== undefined && { id }) });
    return reply.status(202).header("location", `/admin/models/pulls/${status.id}`).send(status);
  });

  app.get("/models/pulls", async (): Promise<List<Pull>> => ({ object: "list" as const, data: pulls.list() }));

  app.get("/models/pulls/:id", { schema: { params: PullParams } }, async (request): Promise<Pull> => pulls.get(request.params.id));

  // Progress as server-sent events: `state` and `progress` while it runs, then one `done` or `error`. A client
  // that connects after the end gets the final event at once.
  app.get("/models/pulls/:id/events", { schema: { params: PullParams } }, async (request, reply) => {
    pulls.get(request.params.id); // a 404 before the stream starts, as a normal JSON error
    const signal = abortOnDisconnect(request, reply);
    const writer = new StreamWriter(reply, "text/event-stream");
    for await (const event of pulls.events(request.params.id, signal)) await writer.write({ type: event.type, ...event.pull }, event.type);
    writer.end();
  });

  app.delete("/models/pulls/:id", { schema: { params: PullParams } }, async (request) => pulls.cancel(request.params.id));
};
