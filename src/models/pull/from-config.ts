/** The pull manager's settings from the configuration, shared by `chaibox serve` and `chaibox models pull`. */
import { durationMs, type Config } from "../../config/schema.js";
import { defaultCatalogPath, loadCatalog } from "../catalog.js";
import type { PullManagerOptions } from "./pull-manager.js";
import { resolvePullSource } from "./source.js";
import { sourcePolicy } from "./source-policy.js";

/** `models.allowHosts` as a list, plus the Hugging Face endpoint's host, which the owner configured too. */
export function allowedPullHosts(models: Config["models"]): string[] {
  const listed = typeof models.allowHosts === "string" ? models.allowHosts.split(/[\s,]+/) : models.allowHosts;
  return [...listed.filter((host) => host !== ""), new URL(models.hfEndpoint).host];
}

/**
 * Everything but the store and the data dir: reference resolution (catalog file, Hugging Face endpoint and
 * token — `models.hfToken`, else `$HF_TOKEN`), retries, stall timeout, the free-space reserve and the hosts
 * pulls may fetch from.
 */
export function pullOptionsFromConfig(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): Pick<PullManagerOptions, "resolve" | "retry" | "stallTimeoutMs" | "freeSpaceReserve" | "policy"> {
  const { models } = config;
  const hfToken = models.hfToken ?? (env.HF_TOKEN || undefined);
  const catalogFile = models.catalogFile === "" ? defaultCatalogPath : models.catalogFile;
  const stall = durationMs(models.stallTimeout);
  return {
    resolve: (ref) =>
      resolvePullSource(ref, {
        hfEndpoint: models.hfEndpoint,
        ...(hfToken !== undefined && { hfToken }),
        catalog: () => loadCatalog(catalogFile),
      }),
    retry: { retries: models.downloadRetries },
    // A timer cannot wait forever; 'forever' means a day, which no live connection reaches.
    stallTimeoutMs: Number.isFinite(stall) && stall > 0 ? stall : 86_400_000,
    freeSpaceReserve: models.freeSpaceReserve,
    policy: sourcePolicy({ allowHosts: allowedPullHosts(models) }),
  };
}
