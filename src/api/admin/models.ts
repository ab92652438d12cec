/**
 * `DELETE /admin/models/{id}`: unloads the model (waiting for its requests to finish), then deletes it from
 * the store, so the disk space really comes back: a runner that still mapped the file would keep it.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";

/** What the model routes use of the store. */
export interface AdminModelStore {
  /** Throws `model_not_found` for an unknown id. */
  require(id: string): Promise<unknown>;
  /** Throws `model_not_found` for an unknown id. */
  remove(id: string): Promise<void>;
}

export interface AdminModelRoutesOptions {
  store: AdminModelStore;
  /** Stops the model's runner once it is idle; resolves at once when it is not loaded. */
  unloadModel: (id: string) => Promise<void>;
}

export const adminModelRoutes: FastifyPluginAsyncTypebox<AdminModelRoutesOptions> = async (app, { store, unloadModel }) => {
  app.delete("/models/:id", { schema: { params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }) } }, async (request) => {
    const { id } = request.params;
    await store.require(id);
    await unloadModel(id);
    await store.remove(id);
    // A request that arrived during the unload may have started the runner again; the file is gone from the
    // store now, so no later request can, and this one ends it.
    await unloadModel(id);
    return { id, object: "model" as const, deleted: true };
  });
};
