/**
 * Ollama's server and model routes: `GET /api/version`, `GET /api/tags`, `POST /api/show`, `GET /api/ps`
 * and `DELETE /api/delete`, all read from the same store and scheduler as the OpenAI routes.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ChaiboxError } from "../../errors.js";
import { stillBusyMessage } from "../../engine/bounded-unload.js";
import { readGgufHeader } from "../../gguf/reader.js";
import { findModel, type OllamaOptions } from "./context.js";
import { ModelNameBody, type ModelNameBody as ModelName } from "./schemas.js";
import { providerTagEntry, psEntry, showBody, tagEntry } from "./views.js";

/**
 * The Ollama API level chaibox answers like: clients compare it to enable features (tools, `think`,
 * structured `format`), all of which chaibox serves.
 */
export const OLLAMA_API_VERSION = "0.12.0";

function nameOf(body: ModelName): string {
  const name = body.model ?? body.name;
  if (name === undefined) throw new ChaiboxError("invalid_request", "model is required", { param: "model" });
  return name;
}

export const modelRoutes: FastifyPluginAsyncTypebox<OllamaOptions> = async (app, options) => {
  app.get("/version", async () => ({ version: OLLAMA_API_VERSION, chaibox: options.version }));

  app.get("/tags", async () => {
    const [installed, described] = await Promise.all([options.store.list(), options.models.list()]);
    const remote = described.filter((d) => d.chai.provider !== undefined).map(providerTagEntry);
    return { models: [...installed.map((m) => tagEntry(m, described.find((d) => d.id === m.id))), ...remote] };
  });

  app.post("/show", { schema: { body: ModelNameBody } }, async (request) => {
    const model = await findModel(options, nameOf(request.body), true);
    const header = await readGgufHeader(model.manifest.path);
    return showBody(model.manifest, model.chai, header.metadata, request.body.verbose === true);
  });

  // Block counts per file, for the VRAM share: reading a header per `ps` call would re-read the vocabulary.
  const blockCounts = new Map<string, number | undefined>();
  const blockCountOf = async (path: string, sha256: string, architecture: string): Promise<number | undefined> => {
    if (!blockCounts.has(sha256)) {
      const count = (await readGgufHeader(path).catch(() => undefined))?.metadata[`${architecture}.block_count`];
      blockCounts.set(sha256, typeof count === "number" ? count : undefined);
    }
    return blockCounts.get(sha256);
  };

  app.get("/ps", async () => {
    const loaded = options.loadedModels();
    if (loaded.length === 0) return { models: [] };
    const [installed, described] = await Promise.all([options.store.list(), options.models.list()]);
    const models = [];
    for (const status of loaded) {
      const manifest = installed.find((m) => m.id === status.modelId);
      if (!manifest) continue;
      const blocks = status.info.gpuLayers > 0 ? await blockCountOf(manifest.path, manifest.sha256, manifest.gguf.architecture) : undefined;
      models.push(psEntry(manifest, described.find((d) => d.id === status.modelId), status, blocks));
    }
    return { models };
  });

  app.delete("/delete", { schema: { body: ModelNameBody } }, async (request, reply) => {
    const model = await findModel(options, nameOf(request.body));
    // Unloaded first so the disk space really comes back (a runner would keep the file mapped); again after,
    // for a request that started it meanwhile.
    const unloaded = await options.unloadModel(model.id);
    await options.store.remove(model.id);
    if (unloaded) await options.unloadModel(model.id);
    // Ollama's clients read no body here; a busy model's note tells a person why the space is not back yet.
    return unloaded ? reply.status(200).send() : reply.status(200).send({ status: "deleted", unloaded: false, message: stillBusyMessage(model.id, options.unloadWaitMs) });
  });
};
