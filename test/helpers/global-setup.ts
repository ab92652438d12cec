// Runs once before all test files: makes the default test models (tiny and demo, Q8_0) so every test can
// use testModelPath() synchronously. Cached across runs in .cache/test-models.
import { ensureTestModels } from "./models.js";

export default async function setup(): Promise<void> {
  await ensureTestModels();
}
