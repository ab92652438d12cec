/**
 * Free space: checked before a download starts (and again once the server tells the size), so a pull that
 * cannot fit fails at once with the numbers instead of filling the disk; and a disk that fills up anyway
 * (another writer, an unknown size) is turned into the same clear error.
 */
import { statfs } from "node:fs/promises";
import { ChaiboxError } from "../../errors.js";
import { formatBytes } from "../../format-bytes.js";

export interface SpaceCheck {
  /** A directory on the disk that receives the download. */
  dir: string;
  /** The directory named in messages (the data dir the user knows). */
  displayPath: string;
  /** Bytes still to be written. */
  neededBytes: number;
  /** Bytes that must remain free afterwards. */
  reserveBytes: number;
}

/** Bytes available to this (unprivileged) process on the file system holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

/**
 * Throws unless `neededBytes + reserveBytes` are free.
 * @throws ChaiboxError `insufficient_storage` with `details.neededBytes`, `freeBytes`, `reserveBytes`, `path`.
 */
export async function ensureFreeSpace(check: SpaceCheck): Promise<void> {
  const free = await freeBytes(check.dir);
  if (check.neededBytes + check.reserveBytes <= free) return;
  const reserve = check.reserveBytes > 0 ? ` (plus ${formatBytes(check.reserveBytes)} kept free)` : "";
  // Before the server tells the size only the reserve is known: "needs 0 B" would say nothing true.
  const needs =
    check.neededBytes > 0
      ? `the download needs ${formatBytes(check.neededBytes)}${reserve}`
      : `chaibox keeps ${formatBytes(check.reserveBytes)} free for the system and the download's size is not known yet`;
  throw new ChaiboxError(
    "insufficient_storage",
    `Not enough disk space: ${needs}, ${formatBytes(free)} free on ${check.displayPath}. Free some space (chaibox models rm <id>) and pull again.`,
    { neededBytes: check.neededBytes, freeBytes: free, reserveBytes: check.reserveBytes, path: check.displayPath },
  );
}

/** Whether a file-system error means the disk (or the user's quota) is full. */
export function isNoSpace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

/** The error for a disk that filled up during a download, after `writtenBytes` of `totalBytes`. */
export async function diskFullError(dir: string, displayPath: string, writtenBytes: number, totalBytes: number | undefined): Promise<ChaiboxError> {
  const free = await freeBytes(dir).catch(() => 0);
  const of = totalBytes !== undefined ? ` of ${formatBytes(totalBytes)}` : "";
  return new ChaiboxError(
    "insufficient_storage",
    `Not enough disk space: ${displayPath} filled up after ${formatBytes(writtenBytes)}${of} were downloaded ` +
      `(${formatBytes(free)} free now); the partial file was deleted. Free some space and pull again.`,
    { writtenBytes, ...(totalBytes !== undefined && { neededBytes: totalBytes }), freeBytes: free, path: displayPath },
  );
}
