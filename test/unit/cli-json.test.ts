/** `--json` output of the CLI: snake_case keys, as the HTTP API writes them. */
import { describe, expect, it } from "vitest";
import { jsonOutput, snakeCaseKeys } from "../../src/cli/format.js";

describe("snakeCaseKeys", () => {
  it("renames camelCase keys at every depth and leaves values, other keys and arrays as they are", () => {
    const data = {
      sizeBytes: 5,
      lastUsedAt: null,
      gguf: { contextLength: 4096, "llama.context_length": 4096 },
      choices: [{ modelId: "qwen3-4b", fullOffload: true, files: { Q4_K_M: "qwen3-4b:Q4_K_M" } }],
      skipped: undefined,
      when: new Date("2026-01-01T00:00:00Z"),
    };
    expect(snakeCaseKeys(data)).toEqual({
      size_bytes: 5,
      last_used_at: null,
      gguf: { context_length: 4096, "llama.context_length": 4096 },
      choices: [{ model_id: "qwen3-4b", full_offload: true, files: { Q4_K_M: "qwen3-4b:Q4_K_M" } }],
      when: "2026-01-01T00:00:00.000Z",
    });
  });

  it("prints indented JSON, or one line for event streams", () => {
    expect(jsonOutput({ receivedBytes: 1 })).toBe('{\n  "received_bytes": 1\n}');
    expect(jsonOutput({ receivedBytes: 1 }, true)).toBe('{"received_bytes":1}');
  });
});
