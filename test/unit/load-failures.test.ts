/** Path scrubbing of load errors, the reason picked from a loader's stderr, and the per-file failure memory. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFailureReason } from "../../src/engine/native/launcher/load-check.js";
import { LoadFailures } from "../../src/engine/load-failures.js";
import { scrubPaths } from "../../src/engine/scrub-paths.js";
import { ChaiboxError } from "../../src/errors.js";

describe("scrubPaths", () => {
  it("cuts absolute paths to their base name, in JSON and prose alike", () => {
    expect(scrubPaths('invalid load options {"modelPath":"/var/lib/chaibox/models/tiny/model.gguf","contextSize":0}')).toBe(
      'invalid load options {"modelPath":"model.gguf","contextSize":0}',
    );
    expect(scrubPaths("failed to open /home/me/x.gguf: No such file")).toBe("failed to open x.gguf: No such file");
    expect(scrubPaths("/home/runner/work/llama.cpp/src/llama-model.cpp:1226: GGML_ASSERT(a > 0) failed")).toBe(
      "llama-model.cpp:1226: GGML_ASSERT(a > 0) failed",
    );
  });

  it("leaves URLs, relative paths and ratios alone", () => {
    const text = "see https://example.com/a/b and docs/chai-v1.md, 3/4 done";
    expect(scrubPaths(text)).toBe(text);
  });
});

describe("loadFailureReason", () => {
  it("picks llama.cpp's assertion out of a crashed loader's stderr, without paths", () => {
    const stderr = "/build/llama.cpp/src/llama-model.cpp:1226: GGML_ASSERT(hparams.n_layer_all > 0) failed\nnode:internal/x\n    at foo (/a/b.js:1:1)\n";
    expect(loadFailureReason(stderr, "SIGABRT")).toBe("llama-model.cpp:1226: GGML_ASSERT(hparams.n_layer_all > 0) failed");
  });

  it("names the signal when the loader said nothing", () => {
    expect(loadFailureReason("", "SIGKILL")).toBe("the loader ended with SIGKILL");
  });
});

describe("LoadFailures", () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "chaibox-load-failures-"));
    file = join(dir, "model.gguf");
    await writeFile(file, "broken");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("answers a remembered failure without another attempt until the file changes", async () => {
    const failures = new LoadFailures();
    let attempts = 0;
    const attempt = (): Promise<never> => {
      attempts++;
      return Promise.reject(new ChaiboxError("model_load_failed", `cannot load ${file}`));
    };
    await expect(failures.guard("tiny", file, attempt)).rejects.toThrow("Model 'tiny' failed to load: cannot load model.gguf");
    await expect(failures.guard("tiny", file, attempt)).rejects.toMatchObject({ code: "model_load_failed", status: 422 });
    expect(attempts).toBe(1);
    await writeFile(file, "replaced by a good copy");
    await expect(failures.guard("tiny", file, () => Promise.resolve("loaded"))).resolves.toBe("loaded");
  });

  it("tries again after the back-off, and never remembers a timeout or another error", async () => {
    let now = 0;
    const failures = new LoadFailures(1000, () => now);
    let attempts = 0;
    const failing = (error: ChaiboxError) => (): Promise<never> => (attempts++, Promise.reject(error));
    const refused = failing(new ChaiboxError("model_load_failed", "bad header"));
    await expect(failures.guard("a", file, refused)).rejects.toThrow("bad header");
    now = 1001;
    await expect(failures.guard("a", file, refused)).rejects.toThrow("bad header");
    expect(attempts).toBe(2);
    const slow = failing(new ChaiboxError("model_load_failed", "did not load within 60 s", { transient: true }));
    const other = join(dir, "other.gguf");
    await writeFile(other, "x");
    await expect(failures.guard("b", other, slow)).rejects.toThrow("within 60 s");
    await expect(failures.guard("b", other, failing(new ChaiboxError("insufficient_memory", "too big")))).rejects.toMatchObject({ code: "insufficient_memory" });
    expect(attempts).toBe(4);
  });
});
