/**
 * `chaibox models <action>`: manage the installed models. The CLI shares the store with a running serve.
 * Each action lives in its own file and declares its own options; this file only dispatches.
 */
import { checkModelLoads } from "../engine/native/client.js";
import { ModelStore, type StoredModel } from "../models/store.js";
import { commonHelp, configFrom, parse, UsageError } from "./args.js";
import { formatSize, jsonOutput, table } from "./format.js";
import { findLocalServer, removeThroughServer } from "./local-server.js";
import { pullAction } from "./models-pull.js";
import { recommendAction } from "./models-recommend.js";
import type { ModelsAction } from "./models-action.js";

export type { ModelsAction, ModelsActionContext } from "./models-action.js";

const listAction: ModelsAction = {
  options: {},
  usage: "  models list                      the installed models",
  async run({ config, print }) {
    const store = await ModelStore.open(config.dataDir);
    const models = await store.list();
    print(models, listTable(models));
  },
};

const addAction: ModelsAction = {
  options: { id: { type: "string" } },
  usage: "  models add <file.gguf> [--id ID] install a GGUF file (copied into the data dir; checked to load first)",
  async run({ args, values, config, print }) {
    const [file] = args;
    if (!file) throw new UsageError("models add needs a GGUF file");
    const store = await ModelStore.open(config.dataDir);
    const id = typeof values.id === "string" ? values.id : undefined;
    // A file llama.cpp refuses would install fine and then fail every request: load it once first.
    const model = await store.add(file, { ...(id !== undefined && { id }), source: { type: "file", ref: file }, checkLoad: checkModelLoads });
    print(model, `Installed ${model.id} (${formatSize(model.sizeBytes)}, ${model.gguf.architecture}).`);
  },
};

const removeAction: ModelsAction = {
  options: {},
  usage: "  models rm <id>                   remove an installed model (a running server unloads it first)",
  async run({ args, config, print }) {
    const [id] = args;
    if (!id) throw new UsageError("models rm needs a model id");
    // A server on this data dir may have the model loaded: it unloads it, then deletes it.
    const server = await findLocalServer(config.dataDir);
    if (server !== undefined) {
      await removeThroughServer(server, id);
      print({ removed: id, server: server.url }, `Removed ${id} (unloaded by the server at ${server.url}).`);
      return;
    }
    const store = await ModelStore.open(config.dataDir);
    await store.remove(id);
    print({ removed: id }, `Removed ${id}.`);
  },
};

const actions: Record<string, ModelsAction> = {
  list: listAction,
  ls: listAction,
  add: addAction,
  pull: pullAction,
  rm: removeAction,
  remove: removeAction,
  recommend: recommendAction,
};

function listTable(models: StoredModel[]): string {
  if (models.length === 0) return "No models installed. Add one with: chaibox models add <file.gguf>";
  const rows = models.map((m) => [m.id, formatSize(m.sizeBytes), m.gguf.architecture, m.gguf.fileType ?? "", m.addedAt.slice(0, 10)]);
  return table(["ID", "SIZE", "ARCH", "TYPE", "ADDED"], rows);
}

function help(): string {
  const seen = new Set<ModelsAction>();
  const usage = Object.values(actions)
    .filter((a) => (seen.has(a) ? false : (seen.add(a), true)))
    .map((a) => a.usage)
    .join("\n");
  return `Usage: chaibox models <action> [options]

${usage}

Model ids: lowercase letters, digits, '.', '_', '-', and an optional ':tag' (e.g. qwen2.5:0.5b);
at most 128 characters. The default id is the file name without .gguf.

Options:
  --id ID           the id to install under (add, pull)
  --json            machine-readable output
${commonHelp}`;
}

export async function modelsCommand(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name.startsWith("-")) {
    const { values } = parse(argv, { json: { type: "boolean" } });
    console.log(help());
    if (!values.help) process.exitCode = 2;
    return;
  }
  const action = actions[name];
  if (!action) throw new UsageError(`unknown models action '${name}'`);
  const { values, positionals } = parse(rest, { ...action.options, json: { type: "boolean" } });
  if (values.help) {
    console.log(help());
    return;
  }
  const config = await configFrom(values);
  const json = values.json === true;
  await action.run({
    args: positionals,
    values,
    config,
    print: (data, text) => console.log(json ? jsonOutput(data) : text),
  });
}
