/**
 * `GET /admin/models`: every installed model with, when it is loaded, how its runner is set up (context,
 * GPU layers, parallel requests: what fit chose) and how busy it is.
 * `DELETE /admin/models/{id}`: unloads the model (waiting for its requests to finish), then deletes it from
 * the store, so the disk space really comes back: a runner that still mapped the file would keep it.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import type { LoadedModelStatus } from "../../engine/scheduler-types.js";
import type { StoredModel } from "../../models/store.js";
import { stillBusyMessage } from "../../engine/bounded-unload.js";

/** What the model routes use of the store. */
export interface AdminModelStore {
  list(): Promise<StoredModel[]>;
  /** Throws `model_not_found` for an unknown id. */
  require(id: string): Promise<unknown>;
  /** Throws `model_not_found` for an unknown id. */
  remove(id: string): Promise<void>;
}

export interface AdminModelRoutesOptions {
  store: AdminModelStore;
  /** Stops the model's runner once idle, waiting a bounded time: false when it was still busy then. */
  unloadModel: (id: string) => Promise<boolean>;
  /** How long unloadModel waits, in ms, for the messages. Default 10 s. */
  unloadWaitMs?: number;
  /** The models whose runners are up. */
  loadedModels: () => LoadedModelStatus[];
}

function loadedView(status: LoadedModelStatus) {
  const { info } = status;
  return {
    pid: status.pid ?? null,
    contextSize: info.sequenceContextSize,
    parallel: info.parallel,
    threads: info.threads,
    gpuLayers: info.gpuLayers,
    gpu: info.gpu,
    active: status.active,
    queued: status.queued,
    loadedAt: new Date(status.loadedAt).toISOString(),
    expiresAt: status.expiresAt === null ? null : new Date(status.expiresAt).toISOString(),
  };
}

export const adminModelRoutes: FastifyPluginAsyncTypebox<AdminModelRoutesOptions> = async (app, { store, unloadModel, loadedModels, unloadWaitMs = 10_000 }) => {
  app.get("/models", async () => {
    const loaded = new Map(loadedModels().map((status) => [status.modelId, status]));
    const models = (await store.list()).map(({ path: _path, dir: _dir, ...manifest }) => {
      const status = loaded.get(manifest.id);
      return { ...manifest, object: "model" as const, loaded: status ? loadedView(status) : null };
    });
    return { object: "list" as const, data: models };
  });

  app.delete("/models/:id", { schema: { params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }) } }, async (request) => {
    const { id } = request.params;
    await store.require(id);
    const unloaded = await unloadModel(id);
    await store.remove(id);
    // A request that arrived during the unload may have started the runner again; the file is gone from the
    // store now, so no later request can, and this one ends it.
    if (unloaded) await unloadModel(id);
    return { id, object: "model" as const, deleted: true, unloaded, ...(!unloaded && { message: stillBusyMessage(id, unloadWaitMs) }) };
  });
};
