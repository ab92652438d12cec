/**
 * Measures a model file's memory needs with GgufInsights in a short-lived child (engine/native/runner-process/insights.ts)
 * and caches the table by the file's SHA-256 in `<cacheDir>/insights/`, so each file is measured once per
 * box, and concurrent asks for one file share one child.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { INSIGHTS_TABLE_VERSION, type GgufInsightsTable } from "../insights-table.js";
import { ChaiboxError } from "../../../errors.js";
import { loadFailureReason } from "./load-check.js";
import { runnerScriptArgs } from "./runner-entry.js";

const execFileAsync = promisify(execFile);

/** Loading the addon and reading a big header takes seconds on a small board; past this, something is wrong. */
const TIMEOUT_MS = 120_000;

export class InsightsProbe {
  private readonly inFlight = new Map<string, Promise<GgufInsightsTable>>();
  /** Tables already read: every model load asks again. */
  private readonly known = new Map<string, GgufInsightsTable>();

  /** @param cacheDir where `insights/<sha256>.json` files are kept. */
  constructor(private readonly cacheDir: string) {}

  /** The table for a model file whose SHA-256 is `sha256`, from the cache or measured now. */
  measure(path: string, sha256: string): Promise<GgufInsightsTable> {
    const known = this.known.get(sha256);
    if (known) return Promise.resolve(known);
    let pending = this.inFlight.get(sha256);
    if (!pending) {
      pending = this.cachedOrMeasured(path, sha256)
        .then((table) => (this.known.set(sha256, table), table))
        .finally(() => this.inFlight.delete(sha256));
      this.inFlight.set(sha256, pending);
    }
    return pending;
  }

  private async cachedOrMeasured(path: string, sha256: string): Promise<GgufInsightsTable> {
    const file = join(this.cacheDir, "insights", `${sha256}.json`);
    try {
      const cached = JSON.parse(await readFile(file, "utf8")) as GgufInsightsTable;
      // A table of another layout (an older chaibox) lacks fields: measure again rather than trust it.
      if (cached.version === INSIGHTS_TABLE_VERSION && cached.sha256 === sha256) return cached;
    } catch {
      // not cached yet (or unreadable): measure
    }
    const { stdout } = await execFileAsync(process.execPath, [...runnerScriptArgs("insights"), path, sha256], {
      timeout: TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: unknown) => {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      // The file is unusable as a model: answered as a load failure, in words and without the path.
      const reason = loadFailureReason(stderr ?? "", (error as { signal?: string | null }).signal ?? null);
      throw new ChaiboxError("model_load_failed", `the model file cannot be measured: ${reason}`);
    });
    const table = JSON.parse(stdout) as GgufInsightsTable;
    await mkdir(join(this.cacheDir, "insights"), { recursive: true });
    // Written whole then renamed, so a crash never leaves a half file that a later start would trust.
    await writeFile(`${file}.tmp`, JSON.stringify(table));
    await rename(`${file}.tmp`, file);
    return table;
  }
}
