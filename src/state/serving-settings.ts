/**
 * How models are served, as the owner set it on the Settings screen: keep-alive and parallel requests. Stored
 * in the state database; a stored value wins over the configuration file's, as the box name does, so what
 * the owner chose on the phone survives restarts and updates of the file. The one source of the inference
 * settings in force ({@link ServingSettings.inference}): loads read it, the Settings screen changes it.
 */
import { durationMs, type InferenceConfig } from "../config/schema.js";
import { ChaiboxError } from "../errors.js";
import { migrate, type Migration, type StateDatabase } from "./db.js";

const migrations: readonly Migration[] = [
  { name: "serving-settings-1-create", sql: "CREATE TABLE serving_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)" },
];

/** The settings the page may change. */
export interface ServingSettingsValues {
  keepAlive: InferenceConfig["keepAlive"];
  parallel: InferenceConfig["parallel"];
}

const MAX_PARALLEL = 64;

/** The serving settings in force and their stored overrides. */
export class ServingSettings {
  /**
   * The inference settings in force: the configuration file's, with what the owner set on top. Live:
   * {@link update} changes this very object, so whoever holds it (the load planner) reads a change at the
   * next load.
   */
  readonly inference: InferenceConfig;

  /** @param fromFile `inference` of the configuration (file, environment, flags), under the stored values. */
  constructor(
    private readonly db: StateDatabase,
    fromFile: InferenceConfig,
  ) {
    migrate(db, migrations);
    this.inference = { ...fromFile, ...this.overrides() };
  }

  /** The values the Settings screen shows: those in force. */
  values(): ServingSettingsValues {
    return { keepAlive: this.inference.keepAlive, parallel: this.inference.parallel };
  }

  /** The stored values, only those the owner set. */
  overrides(): Partial<ServingSettingsValues> {
    const rows = this.db.prepare<[], { key: string; value: string }>("SELECT key, value FROM serving_settings").all();
    const stored = new Map(rows.map((row) => [row.key, JSON.parse(row.value) as unknown]));
    const result: Partial<ServingSettingsValues> = {};
    const keepAlive = stored.get("keep_alive");
    if (typeof keepAlive === "string" || typeof keepAlive === "number") result.keepAlive = keepAlive;
    const parallel = stored.get("parallel");
    if (parallel === "auto" || typeof parallel === "number") result.parallel = parallel;
    return result;
  }

  /** Validates, stores and applies a change; throws `invalid_request` (400) with the reason for a bad value. */
  update(patch: Partial<ServingSettingsValues>): void {
    if (patch.keepAlive !== undefined) {
      try {
        durationMs(patch.keepAlive);
      } catch {
        throw new ChaiboxError("invalid_request", `keep_alive must be a duration such as 30s, 5m, 1h, or 'forever' (got ${JSON.stringify(patch.keepAlive)})`, { param: "keep_alive" });
      }
    }
    if (patch.parallel !== undefined && patch.parallel !== "auto" && !(Number.isInteger(patch.parallel) && patch.parallel >= 1 && patch.parallel <= MAX_PARALLEL)) {
      throw new ChaiboxError("invalid_request", `parallel must be 'auto' or a whole number from 1 to ${MAX_PARALLEL}`, { param: "parallel" });
    }
    const write = this.db.prepare<[string, string]>("INSERT INTO serving_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    this.db.transaction(() => {
      if (patch.keepAlive !== undefined) write.run("keep_alive", JSON.stringify(patch.keepAlive));
      if (patch.parallel !== undefined) write.run("parallel", JSON.stringify(patch.parallel));
    })();
    Object.assign(this.inference, patch);
  }
}
