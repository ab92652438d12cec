/** `chaibox models list|add|rm`: manage the installed models (shares the store with a running serve). */
import { ModelStore, type StoredModel } from "../models/store.js";
import { commonHelp, configFrom, parse, UsageError } from "./args.js";

const help = `Usage: chaibox models <list|add|rm> [options]

  models list                      the installed models
  models add <file.gguf> [--id ID] install a GGUF file (copied into the data dir; validated first)
  models rm <id>                   remove an installed model

Model ids: lowercase letters, digits, '.', '_', '-', and an optional ':tag' (e.g. qwen2.5:0.5b);
at most 128 characters. The default id is the file name without .gguf.

Options:
  --id ID           the id to install under (models add)
  --json            machine-readable output
${commonHelp}`;

function formatSize(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value >= 10 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function table(models: StoredModel[]): string {
  if (models.length === 0) return "No models installed. Add one with: chaibox models add <file.gguf>";
  const rows = models.map((m) => [m.id, formatSize(m.sizeBytes), m.gguf.architecture, m.gguf.fileType ?? "", m.addedAt.slice(0, 10)]);
  const header = ["ID", "SIZE", "ARCH", "TYPE", "ADDED"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  return [header, ...rows].map((r) => r.map((c, i) => String(c).padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n");
}

export async function modelsCommand(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { id: { type: "string" }, json: { type: "boolean" } });
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) {
    console.log(help);
    if (action === undefined && !values.help) process.exitCode = 2;
    return;
  }
  const config = await configFrom(values);
  const store = await ModelStore.open(config.dataDir);
  const print = (data: unknown, text: string) => console.log(values.json ? JSON.stringify(data, null, 2) : text);

  switch (action) {
    case "list":
    case "ls": {
      const models = await store.list();
      print(models, table(models));
      return;
    }
    case "add": {
      const [file] = rest;
      if (!file) throw new UsageError("models add needs a GGUF file");
      const model = await store.add(file, { ...(values.id !== undefined && { id: values.id }), source: { type: "file", ref: file } });
      print(model, `Installed ${model.id} (${formatSize(model.sizeBytes)}, ${model.gguf.architecture}).`);
      return;
    }
    case "rm":
    case "remove": {
      const [id] = rest;
      if (!id) throw new UsageError("models rm needs a model id");
      await store.remove(id);
      print({ removed: id }, `Removed ${id}.`);
      return;
    }
    default:
      throw new UsageError(`unknown models action '${action}'`);
  }
}
