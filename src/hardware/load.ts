/**
 * Reads a saved snapshot (`--hardware FILE`): `chaibox hw --json` output, or a hand-written simulation of
 * another machine. A file that does not match the schema is refused with every problem listed, so a user
 * fixes it in one go; a snapshot of another version is refused rather than misread.
 */
import { readFile } from "node:fs/promises";
import { Value } from "@sinclair/typebox/value";
import { ChaiboxError } from "../errors.js";
import { HARDWARE_SNAPSHOT_VERSION, HardwareSnapshotSchema, type HardwareSnapshot } from "./snapshot.js";

/** `/gpus/0/vramTotalBytes` → `gpus[0].vramTotalBytes`; the root is `(snapshot)`. */
function readablePath(pointer: string): string {
  if (pointer === "") return "(snapshot)";
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce((out, part) => (/^\d+$/.test(part) ? `${out}[${part}]` : out === "" ? part : `${out}.${part}`), "");
}

/** Numbers that each pass the schema but contradict one another. */
function consistencyProblems(s: HardwareSnapshot): string[] {
  const problems: string[] = [];
  if (s.memory.availableBytes > s.memory.totalBytes) problems.push("memory.availableBytes: more than memory.totalBytes");
  if (s.disk.freeBytes > s.disk.totalBytes) problems.push("disk.freeBytes: more than disk.totalBytes");
  if (s.cpu.physicalCores > s.cpu.logicalCores) problems.push("cpu.physicalCores: more than cpu.logicalCores");
  s.gpus.forEach((gpu, i) => {
    if (gpu.vramFreeBytes !== null && gpu.vramFreeBytes > gpu.vramTotalBytes) problems.push(`gpus[${i}].vramFreeBytes: more than gpus[${i}].vramTotalBytes`);
  });
  if (new Set(s.backends).size !== s.backends.length) problems.push("backends: lists a backend twice");
  if (Number.isNaN(Date.parse(s.takenAt))) problems.push(`takenAt: not an ISO 8601 time ('${s.takenAt}')`);
  return problems;
}

/**
 * Every problem of `data` as a snapshot, one readable line each (`memory.totalBytes: Expected integer`);
 * empty when it is a valid snapshot. A wrong `version` comes first, with what to do about it.
 */
export function snapshotProblems(data: unknown): string[] {
  const problems: string[] = [];
  const version = typeof data === "object" && data !== null && "version" in data ? data.version : undefined;
  if (version !== HARDWARE_SNAPSHOT_VERSION) {
    const got = version === undefined ? "missing" : JSON.stringify(version);
    problems.push(`version: ${got}, but this chaibox reads snapshots of version ${HARDWARE_SNAPSHOT_VERSION} (take a new one with 'chaibox hw --json')`);
  }
  // TypeBox reports a missing property twice (required, then its type): the first problem per path is enough.
  const seen = new Set<string>(["/version"]);
  for (const error of Value.Errors(HardwareSnapshotSchema, data)) {
    if (seen.has(error.path)) continue;
    seen.add(error.path);
    const got = error.value === undefined ? "" : JSON.stringify(error.value);
    problems.push(`${readablePath(error.path)}: ${error.message}${got !== "" && got.length <= 40 ? ` (got ${got})` : ""}`);
  }
  if (problems.length === 0) problems.push(...consistencyProblems(data as HardwareSnapshot));
  return problems;
}

/**
 * Validates parsed JSON as a snapshot. Throws a {@link ChaiboxError} (`invalid_request`, `details.problems`)
 * that lists every problem; `source` names the file in the message.
 */
export function parseHardwareSnapshot(data: unknown, source: string): HardwareSnapshot {
  const problems = snapshotProblems(data);
  if (problems.length > 0) {
    throw new ChaiboxError("invalid_request", `invalid hardware snapshot (${source}):\n${problems.map((p) => `  - ${p}`).join("\n")}`, { file: source, problems });
  }
  return data as HardwareSnapshot;
}

/** Reads and validates a snapshot file. Throws a {@link ChaiboxError} when it cannot be read, is not JSON, or is not a valid snapshot. */
export async function loadHardwareSnapshot(file: string): Promise<HardwareSnapshot> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ChaiboxError("invalid_request", `cannot read hardware snapshot ${file}: ${(error as Error).message}`, { file });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ChaiboxError("invalid_request", `hardware snapshot ${file} is not JSON: ${(error as Error).message}`, { file });
  }
  return parseHardwareSnapshot(data, file);
}
