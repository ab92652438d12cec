/**
 * `chaibox models pull <ref> [--id ID] [--json]`: downloads and installs a model. On a terminal it draws a
 * bar with bytes, speed and time left; otherwise it prints a line per state change; with `--json`, one JSON
 * object per event (the last one says `done` or `error`). Ctrl-C stops, keeping the downloaded part:
 * running the same command again resumes it.
 */
import { checkModelLoads } from "../engine/native/client.js";
import { join, resolve } from "node:path";
import { pullOptionsFromConfig } from "../models/pull/from-config.js";
import { PullManager, type PullEvent, type PullStatus } from "../models/pull/pull-manager.js";
import { ModelStore } from "../models/store.js";
import { UsageError } from "./args.js";
import { formatSize, jsonOutput } from "./format.js";
import type { ModelsAction } from "./models-action.js";
import { transferBar } from "./progress.js";

export const pullAction: ModelsAction = {
  options: { id: { type: "string" } },
  usage:
    "  models pull <ref> [--id ID]      download and install a model: a catalog name (qwen3-4b, qwen3-4b:Q4_K_M),\n" +
    "                                   hf:<owner>/<repo>/<file.gguf>, or an http(s) URL; resumes where it stopped",
  async run({ args, values, config }) {
    const [ref] = args;
    if (!ref) throw new UsageError("models pull needs a model: a catalog name, hf:<owner>/<repo>/<file.gguf>, or a URL");
    const store = await ModelStore.open(config.dataDir);
    const manager = new PullManager({ store, dataDir: config.dataDir, ...pullOptionsFromConfig(config), checkLoad: checkModelLoads });
    const id = typeof values.id === "string" ? values.id : undefined;
    const started = await manager.start({ ref, ...(id !== undefined && { id }) });
    const show = values.json === true ? jsonLine : textView(started);

    let interrupted = false;
    const interrupt = () => {
      interrupted = true;
      void manager.stop();
    };
    process.once("SIGINT", interrupt);
    process.once("SIGTERM", interrupt);
    try {
      for await (const event of manager.events(started.id)) show(event);
    } finally {
      process.off("SIGINT", interrupt);
      process.off("SIGTERM", interrupt);
    }
    if (interrupted) {
      const where = join(resolve(config.dataDir), "downloads");
      console.error(`Stopped. The downloaded part is kept in ${where}; run the same command again to resume.`);
      process.exitCode = 130;
      return;
    }
    // Rejects with the pull's own error (checksum_mismatch, insufficient_storage…), which main prints.
    const model = await manager.result(started.id);
    if (values.json !== true) console.log(`Installed ${model.id} (${formatSize(model.sizeBytes)}, ${model.gguf.architecture}).`);
  },
};

function jsonLine(event: PullEvent): void {
  console.log(jsonOutput({ type: event.type, ...event.pull }, true));
}

/** Human output: a bar on a terminal, else a line per state change (logs, CI, pipes). */
function textView(first: PullStatus): (event: PullEvent) => void {
  const bar = transferBar(first.modelId);
  const say = (line: string) => {
    bar.clear();
    console.error(line);
  };
  const size = first.totalBytes !== null ? ` (${formatSize(first.totalBytes)})` : "";
  // A URL ref is its own source: say it once.
  say(first.ref === first.url ? `Pulling ${first.url} as ${first.modelId}${size}` : `Pulling ${first.ref} as ${first.modelId} from ${first.url}${size}`);
  let state = first.state;
  let retries = first.retries;
  let toldResume = false;
  return ({ type, pull }) => {
    if (!toldResume && pull.resumedFromBytes > 0) {
      toldResume = true;
      say(`Resuming at ${formatSize(pull.resumedFromBytes)}`);
    }
    if (pull.retries > retries) {
      retries = pull.retries;
      say(`Retrying (${retries}) after: ${pull.retryReason ?? "a network error"}`);
    }
    if (type === "progress") {
      bar.update({ doneBytes: pull.receivedBytes, totalBytes: pull.totalBytes, bytesPerSecond: pull.bytesPerSecond, etaSeconds: pull.etaSeconds });
      return;
    }
    if (pull.state === state) return;
    state = pull.state;
    if (state === "done" || state === "failed" || state === "cancelled") {
      bar.finish();
      return;
    }
    say(state === "verifying" ? `Downloaded ${formatSize(pull.receivedBytes)}; verifying` : `${state[0]?.toUpperCase()}${state.slice(1)}`);
  };
}
