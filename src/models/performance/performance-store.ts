/**
 * Speed figures of installed models in SQLite, so they survive restarts and are shared by `chaibox serve` and
 * `chaibox bench` on one data dir. Two rows per model file, keyed by its SHA-256 (the same bytes run at the
 * same speed under any id, and a different file under a reused id starts afresh):
 *
 * - `measured`: the last `chaibox bench` (or background benchmark) result, replaced whole by the next one;
 * - `live`: an exponential moving average over real requests, updated after each one.
 *
 * The performance domain owns this table: its SQL and migration live here, next to the figures they keep
 * (the rule for SQL is in state/db.ts).
 */
import { migrate, type Migration, type StateDatabase } from "../../state/db.js";

const migrations: readonly Migration[] = [
  {
    name: "performance-1-create",
    sql: `CREATE TABLE model_performance (
      sha256 TEXT NOT NULL,
      source TEXT NOT NULL CHECK (source IN ('measured', 'live')),
      model_id TEXT NOT NULL,
      generation_tps REAL,
      prompt_tps REAL,
      ttft_ms REAL,
      samples INTEGER NOT NULL,
      measured_at TEXT NOT NULL,
      PRIMARY KEY (sha256, source)
    )`,
  },
];

/** One set of speed figures; null where nothing was measured. */
export interface SpeedFigures {
  /** Tokens per second of one stream generating, after its first token. */
  generationTokensPerSecond: number | null;
  /** Prompt tokens evaluated per second. */
  promptTokensPerSecond: number | null;
  /** Milliseconds from a short request to its first token, model loaded. */
  timeToFirstTokenMs: number | null;
}

/** Figures as stored, with where they came from. */
export interface StoredSpeed extends SpeedFigures {
  source: "measured" | "live";
  /** The model id they were last recorded under. */
  modelId: string;
  /** Requests averaged (live), or 1 (measured). */
  samples: number;
  /** ISO 8601 time of the last update. */
  measuredAt: string;
}

/** What one real request contributes to the live average; absent figures leave theirs unchanged. */
export type SpeedSample = Partial<Record<keyof SpeedFigures, number>>;

/** Weight of a new request in the live average: recent requests count, one outlier does not dominate. */
export const LIVE_AVERAGE_WEIGHT = 0.2;

const FIELDS: readonly (keyof SpeedFigures)[] = ["generationTokensPerSecond", "promptTokensPerSecond", "timeToFirstTokenMs"];

/**
 * The moving average after one more sample: the first value of a figure is taken as is, each later one
 * moves the average by `weight` (default {@link LIVE_AVERAGE_WEIGHT}) of the difference. Pure.
 */
export function movingAverage(previous: SpeedFigures | undefined, sample: SpeedSample, weight = LIVE_AVERAGE_WEIGHT): SpeedFigures {
  const next: SpeedFigures = { generationTokensPerSecond: null, promptTokensPerSecond: null, timeToFirstTokenMs: null };
  for (const field of FIELDS) {
    const old = previous?.[field] ?? null;
    const value = sample[field];
    next[field] = value === undefined || !Number.isFinite(value) ? old : old === null ? value : old + weight * (value - old);
  }
  return next;
}

interface Row {
  source: "measured" | "live";
  model_id: string;
  generation_tps: number | null;
  prompt_tps: number | null;
  ttft_ms: number | null;
  samples: number;
  measured_at: string;
}

function fromRow(row: Row): StoredSpeed {
  return {
    source: row.source,
    modelId: row.model_id,
    generationTokensPerSecond: row.generation_tps,
    promptTokensPerSecond: row.prompt_tps,
    timeToFirstTokenMs: row.ttft_ms,
    samples: row.samples,
    measuredAt: row.measured_at,
  };
}

/** The speed figures of model files in the state database (see the file comment). */
export class PerformanceStore {
  private readonly select;
  private readonly upsert;

  /** Applies this module's migrations to `db` (idempotent). `now` defaults to the wall clock. */
  constructor(
    private readonly db: StateDatabase,
    private readonly now: () => Date = () => new Date(),
  ) {
    migrate(db, migrations);
    this.select = db.prepare<[string], Row>(
      "SELECT source, model_id, generation_tps, prompt_tps, ttft_ms, samples, measured_at FROM model_performance WHERE sha256 = ?",
    );
    this.upsert = db.prepare<[string, string, string, number | null, number | null, number | null, number, string]>(
      `INSERT INTO model_performance (sha256, source, model_id, generation_tps, prompt_tps, ttft_ms, samples, measured_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (sha256, source) DO UPDATE SET model_id = excluded.model_id, generation_tps = excluded.generation_tps,
         prompt_tps = excluded.prompt_tps, ttft_ms = excluded.ttft_ms, samples = excluded.samples, measured_at = excluded.measured_at`,
    );
  }

  /** The stored figures of the file with this SHA-256: `measured` and `live` when present. */
  get(sha256: string): { measured?: StoredSpeed; live?: StoredSpeed } {
    const result: { measured?: StoredSpeed; live?: StoredSpeed } = {};
    for (const row of this.select.all(sha256)) result[row.source] = fromRow(row);
    return result;
  }

  /** Replaces the benchmark figures of a file. */
  saveMeasured(sha256: string, modelId: string, figures: SpeedFigures): StoredSpeed {
    const measuredAt = this.now().toISOString();
    this.write(sha256, "measured", modelId, figures, 1, measuredAt);
    return { source: "measured", modelId, ...figures, samples: 1, measuredAt };
  }

  /** Folds one request's figures into the file's live average, atomically (another process may write too). */
  addLiveSample(sha256: string, modelId: string, sample: SpeedSample): StoredSpeed | undefined {
    if (!FIELDS.some((field) => sample[field] !== undefined && Number.isFinite(sample[field]))) return undefined;
    return this.db.transaction(() => {
      const previous = this.get(sha256).live;
      const figures = movingAverage(previous, sample);
      const samples = (previous?.samples ?? 0) + 1;
      const measuredAt = this.now().toISOString();
      this.write(sha256, "live", modelId, figures, samples, measuredAt);
      return { source: "live" as const, modelId, ...figures, samples, measuredAt };
    }).immediate();
  }

  private write(sha256: string, source: "measured" | "live", modelId: string, f: SpeedFigures, samples: number, measuredAt: string): void {
    this.upsert.run(sha256, source, modelId, f.generationTokensPerSecond, f.promptTokensPerSecond, f.timeToFirstTokenMs, samples, measuredAt);
  }
}
