/** Small text formatting shared by the commands' human-readable output. */

/** Bytes in decimal units, as disks and downloads are sold: `421 MB`, `4.7 GB`. */
export { formatBytes as formatSize } from "../format-bytes.js";

/** Left-aligned columns under a header; cells are stringified, trailing spaces trimmed. */
export function table(header: string[], rows: (string | number)[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? "").length)));
  return [header, ...rows].map((r) => r.map((c, i) => String(c).padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n");
}
