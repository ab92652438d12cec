/** Catalog entries for tests: a generated model described just enough to pass the catalog's schema. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface TestCatalogFile {
  quant: string;
  uri: string;
  sizeBytes: number;
  sha256?: string;
}

/** A chat entry `tiny-chat` of the tiny test model's shape; `fields` replace any of its fields. */
export function testCatalogEntry(files: TestCatalogFile[], fields: Record<string, unknown> = {}) {
  return {
    id: "tiny-chat",
    name: "Tiny chat",
    family: "test",
    description: "a generated test model",
    kind: "chat" as const,
    parameters: 1000,
    license: "apache-2.0",
    capabilities: { tools: false, reasoning: false, embeddings: false, vision: false },
    contextLength: 256,
    architecture: { layers: 1, embeddingLength: 64, headCount: 2, headCountKv: 2, vocabularySize: 300 },
    files,
    ...fields,
  };
}

/** Writes `<dir>/catalog.json` with these entries and returns its path (for `models.catalogFile`). */
export async function writeTestCatalog(dir: string, entries: object[]): Promise<string> {
  const path = join(dir, "catalog.json");
  await writeFile(path, JSON.stringify({ version: 1, models: entries }));
  return path;
}
