/**
 * What the web UI shows beyond the raw admin resources, each in one request a phone can afford:
 * - `GET /admin/status`: the dashboard (box, models with their speed, loaded runners, memory, disk);
 * - `GET /admin/recommendations`: the hardware in plain words and the models that fit it, best first, the
 *   one to tick on the first run marked `preselected`;
 * - `GET /admin/connect`: how apps reach the box (its URL, mDNS names, a QR code of the URL).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { renderSVG } from "uqr";
import type { ChaiModelDirectory } from "../../models/description/model-description.js";
import type { LoadedModelStatus } from "../../engine/scheduler-types.js";
import type { EngineStatus } from "../../engine/native/engine-files.js";
import { describeHardware, hardwareSummary } from "../../hardware/describe.js";
import type { HardwareSnapshot } from "../../hardware/snapshot.js";
import type { Catalog } from "../../models/catalog.js";
import type { FitResult } from "../../models/planning/fit.js";
import { choiceRef } from "../../models/planning/recommend.js";
import { abilities, ASSUMED_DOWNLOAD_BYTES_PER_SECOND, downloadSeconds, preselect } from "../../models/planning/preselect.js";
import type { Connect, Recommendations, Status } from "./admin-api.js";

export interface OverviewOptions {
  /** The box's name now (it can change in Settings). */
  boxName: () => string;
  /**
   * Who advertises the box over mDNS now and under which host name (with `.local`: the one the responder
   * really holds, so `chaibox-2.local` after a collision); `none` when mDNS is off or could not start.
   * Default: `none`.
   */
  mdns?: () => { responder: "avahi" | "embedded" | "none"; host: string | null };
  version: string;
  hardware: () => Promise<HardwareSnapshot>;
  models: ChaiModelDirectory;
  loadedModels: () => LoadedModelStatus[];
  /** Fit over the catalog and the installed models, for this box. */
  recommend: () => Promise<FitResult>;
  /** The catalog, for what each recommended model is good for. */
  catalog: () => Promise<Catalog | undefined>;
  /** The inference engine runners load, and its build at first boot while it runs or after it failed. */
  engine: () => EngineStatus;
}

function engineOf({ engine, native, build }: EngineStatus): Status["engine"] {
  return {
    in_use: engine,
    variant: native?.variant ?? null,
    build: build ? { state: build.state, percent: build.percent, step: build.step, started_at: build.startedAt, error: build.error ?? null } : null,
  };
}

export const overviewRoutes: FastifyPluginAsyncTypebox<OverviewOptions> = async (app, options) => {
  app.get("/admin/status", async (): Promise<Status> => {
    const [snapshot, models] = await Promise.all([options.hardware(), options.models.list()]);
    const loaded = new Map(options.loadedModels().map((status) => [status.modelId, status]));
    return {
      box: { name: options.boxName(), version: options.version, uptime_seconds: Math.round(process.uptime()) },
      hardware: describeHardware(snapshot),
      models: models.map((model) => {
        const status = loaded.get(model.id);
        return {
          id: model.id,
          size_bytes: model.chai.size_bytes,
          context_length: model.chai.context_length,
          tokens_per_second: model.chai.performance.generation_tokens_per_second,
          speed_source: model.chai.performance.source,
          loaded: status ? { active: status.active, queued: status.queued, gpu_layers: status.info.gpuLayers } : null,
        };
      }),
      memory: snapshot.memory,
      gpus: snapshot.gpus.map((gpu) => ({ name: `${gpu.vendor} ${gpu.model}`, vram_total_bytes: gpu.vramTotalBytes, vram_free_bytes: gpu.vramFreeBytes })),
      disk: snapshot.disk,
      engine: engineOf(options.engine()),
    };
  });

  app.get("/admin/recommendations", async (): Promise<Recommendations> => {
    const [snapshot, result, catalog] = await Promise.all([options.hardware(), options.recommend(), options.catalog()]);
    const describe = new Map(catalog?.models.map((entry) => [entry.id, entry.description]));
    const first = preselect(result);
    return {
      summary: hardwareSummary(snapshot, abilities(result)),
      hardware: describeHardware(snapshot),
      message: result.message ?? null,
      download_bytes_per_second: ASSUMED_DOWNLOAD_BYTES_PER_SECOND,
      choices: result.choices.map((choice) => ({
        ref: choiceRef(choice),
        name: choice.name,
        kind: choice.kind,
        description: describe.get(choice.modelId) ?? null,
        size_bytes: choice.sizeBytes,
        quantization: choice.quant,
        installed: choice.installedId !== undefined,
        tokens_per_second: Math.round(choice.tokensPerSecond * 10) / 10,
        context_length: choice.contextSize,
        slow: choice.slow,
        preselected: choice === first,
        download_seconds: downloadSeconds(choice.sizeBytes),
        reason: choice.reason,
      })),
      skipped: result.skipped.map((skip) => ({ name: skip.name, reason: skip.reason })),
    };
  });

  app.get("/admin/connect", async (request): Promise<Connect> => {
    // The address this browser used is one the rest of the LAN can use too (setup happens from a phone).
    const url = `${request.protocol}://${request.host}`;
    return {
      url,
      api_base: `${url}/v1`,
      ollama_url: url,
      mdns: { ...(options.mdns?.() ?? { responder: "none" as const, host: null }), service: options.boxName(), type: "_chai._tcp" },
      qr_svg: renderSVG(url, { border: 2 }),
    };
  });
};
