/**
 * Wiring: the providers — the stored and configured upstreams, their live registry, inference on their
 * models, and routing between this box and them. Pairing with another box and finding boxes on the network
 * are the app-side client's (client/), given to the registry and the admin routes as ports.
 */
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { InferenceService } from "../engine/contract.js";
import type { Scheduler } from "../engine/scheduler.js";
import type { ModelStore } from "../models/store.js";
import { ProviderInference } from "../providers/provider-inference.js";
import { ProviderRegistry } from "../providers/provider-registry.js";
import { placedInference, providerRouter, type LocalPlaces } from "../providers/provider-routing.js";
import { checkProviderId, normalizeProviderUrl, type ProviderSpec } from "../providers/provider-spec.js";
import { ProviderStore } from "../providers/provider-store.js";
import type { StateDatabase } from "../state/db.js";

/** What the providers wiring needs. */
export interface ProvidersNeeds {
  db: StateDatabase;
  store: ModelStore;
  scheduler: Scheduler;
  /** This box's generation speed of a local model (tok/s), when measured. */
  localSpeed: (sha256: string) => number | undefined;
  boxName: () => string;
  boxId: string;
  logger: Logger;
}

export interface ProvidersParts {
  registry: ProviderRegistry;
  /** The engine the pipeline runs on: providers' models to them, the rest to the scheduler. */
  engine: InferenceService;
  /** The routing step's port. */
  route: (modelId: string) => Promise<string>;
  /** The Chai boxes on the network, for the Settings screen (this box left out). */
  discoverBoxes: () => Promise<{ name: string; url: string; boxId: string | undefined }[]>;
}

/** The configuration's providers as stored specs; a bad entry stops the start with the entry named. */
export function configuredProviders(config: Config): ProviderSpec[] {
  return config.providers.map((entry, i) => {
    try {
      return {
        id: checkProviderId(entry.id),
        kind: entry.kind,
        name: entry.name ?? entry.id,
        url: normalizeProviderUrl(entry.url, entry.kind),
        apiKey: entry.api_key,
        prices: entry.prices && { inputPerMillion: entry.prices.input_per_million_tokens, outputPerMillion: entry.prices.output_per_million_tokens },
        source: "config" as const,
      };
    } catch (error) {
      throw new Error(`providers[${i}]: ${(error as Error).message}`);
    }
  });
}

export function wireProviders(config: Config, needs: ProvidersNeeds): ProvidersParts {
  const providerStore = new ProviderStore(needs.db);
  providerStore.syncConfig(configuredProviders(config));
  const logger = needs.logger.child({ module: "providers" });
  const registry = new ProviderRegistry({
    store: providerStore,
    // The app-side client is imported when first used: a box that pairs with no other box or never looks
    // for one does not load it (nor the multicast browser behind discover).
    pair: async (origin, options) => (await import("../client/pair.js")).runPairing(origin, options),
    appName: () => `chaibox (${needs.boxName()})`,
    warn: (object, message) => logger.warn(object, message),
  });
  registry.start();
  const inference = new ProviderInference(registry);
  const local: LocalPlaces = {
    place: async (modelId) => {
      const model = await needs.store.get(modelId);
      if (!model) return undefined;
      const stats = needs.scheduler.stats(modelId);
      return { modelId, load: stats.active + stats.queued, tokensPerSecond: needs.localSpeed(model.sha256) ?? null, price: 0, local: true };
    },
  };
  return {
    registry,
    engine: placedInference(needs.scheduler, inference),
    route: providerRouter(registry, inference, local),
    discoverBoxes: async () => {
      const { discover } = await import("../client/discover.js");
      const servers = await discover({ timeoutMs: 2_000, documentTimeoutMs: 1_500 });
      return servers
        .filter((server) => server.url !== undefined && server.boxId !== needs.boxId)
        .map((server) => ({ name: server.discovery?.box.name ?? server.name, url: server.url ?? "", boxId: server.boxId }));
    },
  };
}
