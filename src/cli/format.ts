/** Small text formatting shared by the commands' human-readable output. */

/** Bytes in decimal units, as disks and downloads are sold: `421 MB`, `4.7 GB`. */
export { formatBytes as formatSize } from "../format-bytes.js";

/** Left-aligned columns under a header; cells are stringified, trailing spaces trimmed. */
export function table(header: string[], rows: (string | number)[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? "").length)));
  return [header, ...rows].map((r) => r.map((c, i) => String(c).padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n");
}

/** `sizeBytes` → `size_bytes`; keys that are not lower camelCase words (`llama.context_length`, `Q4_K_M`) stay. */
function snakeKey(key: string): string {
  return /^[a-z][a-zA-Z0-9]*$/.test(key) ? key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : key;
}

/** A JSON-ready value with every object key in snake_case, as the HTTP API writes them. */
export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value === null || typeof value !== "object") return value;
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === "function") return snakeCaseKeys(json.call(value));
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [snakeKey(k), snakeCaseKeys(v)]));
}

/** `--json` output: `data` with snake_case keys, indented unless `compact` (one object a line, as pull's events). */
export function jsonOutput(data: unknown, compact = false): string {
  return JSON.stringify(snakeCaseKeys(data), null, compact ? undefined : 2);
}
