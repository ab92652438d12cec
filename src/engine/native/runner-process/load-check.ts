/**
 * `node runner-process/load-check.js <model.gguf>`: loads a model file the way a runner does (CPU only, the smallest
 * context, one thread) and disposes it. It exits 0 when the file loads; otherwise it prints the reason on
 * stderr and exits 1. `models add` and pulls run it before installing a file (see launcher/load-check.ts),
 * so a file llama.cpp refuses (a tampered header, a wrong tensor count) is never installed.
 */
import pino from "pino";
import { loadModelHost } from "./model-host.js";

/** Enough for a vocabulary and one batch: the check proves the file loads, not that it serves long prompts. */
const CHECK_CONTEXT_SIZE = 256;

/** llama.cpp's own error lines: node-llama-cpp's exception often says only "Failed to load model". */
const reasons: string[] = [];
const log = pino(
  { level: "warn" },
  {
    write(line: string) {
      const entry = JSON.parse(line) as { level?: number; msg?: string; source?: string };
      if (entry.source === "llama.cpp" && (entry.level ?? 0) >= 50 && entry.msg) reasons.push(entry.msg);
    },
  },
);

const [path] = process.argv.slice(2);
if (!path) {
  process.stderr.write("usage: load-check <model.gguf>\n");
  process.exit(2);
}
try {
  const host = await loadModelHost({ modelPath: path, contextSize: CHECK_CONTEXT_SIZE, parallel: 1, threads: 1, gpuLayers: 0, promptCache: false }, log);
  await host.dispose();
  process.exit(0);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  const detail = reasons.filter((r) => !message.includes(r)).slice(-2);
  process.stderr.write(`${[message, ...detail].join(": ")}\n`);
  process.exit(1);
}
