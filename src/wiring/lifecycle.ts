/**
 * Wiring: shutdown, in the order that loses nothing — first apps stop finding the box, then downloads and
 * benchmarks stop, requests in flight drain (up to the deadline) and every runner ends, then the HTTP
 * server, the stores and the runtime directory go.
 */
import { rmdir } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import { removeServerFile } from "../config/server-file.js";
import type { EngineParts } from "./engine.js";
import type { InferenceParts } from "./inference.js";
import type { ProvidersParts } from "./providers.js";
import type { Announcements } from "./platform.js";
import type { Accounts, Stores } from "./state.js";
import type { PullManager } from "../models/pull/pull-manager.js";

/** Everything a run started. */
export interface RunParts {
  stores: Stores;
  pulls: PullManager;
  engine: EngineParts;
  chai: InferenceParts;
  providers: ProvidersParts;
  accounts: Accounts;
  app: FastifyInstance;
  announcements: Announcements;
}

/** Stops a run: drains in-flight requests up to `deadlineMs`, stops every runner, closes the server and the stores. */
export async function stopRun(parts: RunParts, deadlineMs: number): Promise<void> {
  const { stores, engine, accounts, announcements } = parts;
  // First: apps stop finding a box that is going away.
  await announcements.consoleNotice.stop();
  await announcements.advertiser.close();
  // Partials stay on disk: the next pull of the same file resumes them.
  await parts.pulls.stop();
  await removeServerFile(stores.paths.dataDir);
  await parts.chai.benchmarks.stop();
  parts.providers.registry.stop();
  await engine.scheduler.stop(deadlineMs);
  engine.launchers.close();
  await parts.app.close();
  accounts.responses.stop();
  accounts.auth.tokens.flushQuietly();
  accounts.budgets.stop();
  stores.db.close();
  // Only when empty: the runners' sockets are gone by now, and a directory systemd manages stays intact.
  await rmdir(stores.paths.runtimeDir).catch(() => undefined);
}
