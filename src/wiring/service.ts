/**
 * Wiring: what systemd hears about a running server (platform/service-state.ts), as callbacks over its
 * parts, so that the adapter never sees the server itself.
 */
import type { ServiceFigures } from "../platform/service-state.js";
import type { RunningServer } from "../main.js";
import { databaseAnswers } from "../state/db.js";

/** The figures of {@link ServiceFigures} read from a running server's store, scheduler, pulls and database. */
export function serviceFigures(server: Pick<RunningServer, "store" | "scheduler" | "pulls" | "db">): ServiceFigures {
  return {
    installed: async () => (await server.store.list()).length,
    loaded: () => server.scheduler.loaded().map((m) => m.modelId),
    downloading: () => server.pulls.list().filter((p) => p.state === "queued" || p.state === "downloading" || p.state === "verifying").length,
    healthy: () => databaseAnswers(server.db),
  };
}
