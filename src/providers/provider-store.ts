/**
 * The providers as the state database keeps them. Those of the YAML configuration are written here at every
 * start (the file wins, and one removed from the file is removed here); those added from the admin API live
 * here alone. Keys are read back only for the upstream client: views leave them out.
 */
import { ChaiboxError } from "../errors.js";
import { migrate, type StateDatabase } from "../state/db.js";
import { providerMigrations } from "./migrations.js";
import type { ProviderSpec } from "./provider-spec.js";

interface ProviderRow {
  id: string;
  kind: ProviderSpec["kind"];
  name: string;
  url: string;
  api_key: string | null;
  input_price: number | null;
  output_price: number | null;
  source: ProviderSpec["source"];
  created_at: number;
}

function specOf(row: ProviderRow): ProviderSpec {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    url: row.url,
    apiKey: row.api_key ?? undefined,
    prices: row.input_price === null || row.output_price === null ? undefined : { inputPerMillion: row.input_price, outputPerMillion: row.output_price },
    source: row.source,
  };
}

export class ProviderStore {
  constructor(
    private readonly db: StateDatabase,
    private readonly now: () => number = Date.now,
  ) {
    migrate(db, providerMigrations);
  }

  list(): ProviderSpec[] {
    return this.db.prepare<[], ProviderRow>("SELECT * FROM providers ORDER BY created_at, id").all().map(specOf);
  }

  get(id: string): ProviderSpec | undefined {
    const row = this.db.prepare<[string], ProviderRow>("SELECT * FROM providers WHERE id = ?").get(id);
    return row && specOf(row);
  }

  /** Adds a provider; `provider_exists`-like conflict as invalid_request when the id is taken. */
  add(spec: ProviderSpec): void {
    if (this.get(spec.id)) throw new ChaiboxError("invalid_request", `A provider with the id '${spec.id}' exists already; choose another id.`, { param: "id" });
    this.write(spec);
  }

  /** Stores the key a pairing gave. */
  setKey(id: string, apiKey: string): void {
    this.db.prepare<[string, string]>("UPDATE providers SET api_key = ? WHERE id = ?").run(apiKey, id);
  }

  remove(id: string): void {
    this.db.prepare<[string]>("DELETE FROM providers WHERE id = ?").run(id);
  }

  /**
   * Makes the configuration's providers the `config` rows: added or updated from the file, removed when the
   * file no longer names them. An admin-added provider with the same id gives way to the file's.
   */
  syncConfig(specs: readonly ProviderSpec[]): void {
    this.db.transaction(() => {
      const keep = new Set(specs.map((s) => s.id));
      for (const row of this.list()) if (row.source === "config" && !keep.has(row.id)) this.remove(row.id);
      for (const spec of specs) this.write({ ...spec, source: "config" });
    })();
  }

  private write(spec: ProviderSpec): void {
    this.db
      .prepare<[string, string, string, string, string | null, number | null, number | null, string, number]>(
        `INSERT INTO providers (id, kind, name, url, api_key, input_price, output_price, source, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, url = excluded.url, api_key = excluded.api_key,
           input_price = excluded.input_price, output_price = excluded.output_price, source = excluded.source`,
      )
      .run(spec.id, spec.kind, spec.name, spec.url, spec.apiKey ?? null, spec.prices?.inputPerMillion ?? null, spec.prices?.outputPerMillion ?? null, spec.source, this.now());
  }
}
