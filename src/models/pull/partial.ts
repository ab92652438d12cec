/**
 * The files of one download in `<dataDir>/downloads/`, named by a hash of the URL so a later process finds
 * them again: `<key>.partial` (the bytes so far), `<key>.json` (the sidecar: what a resume must match) and
 * `<key>.lock` (which process writes the partial).
 *
 * The lock holds `{ pid }` and its holder touches it every few seconds. A lock whose process is gone, or
 * that nobody touched for {@link LOCK_STALE_MS} (a pid reused by an unrelated process after a crash), is
 * stale and taken over. A live lock makes a second process fail with `pull_in_progress` rather than wait:
 * the CLI then says which process holds it, and cancelling that pull frees it.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ChaiboxError } from "../../errors.js";

export interface PartialPaths {
  /** The partial download. */
  file: string;
  /** The sidecar JSON ({@link Sidecar}). */
  sidecar: string;
  /** The lock file. */
  lock: string;
}

/** What a resume must match: the same URL and, when the server gave one, the same validator. */
export interface Sidecar {
  url: string;
  /** Strong ETag of the file being downloaded, when the server sent one. */
  etag?: string;
  lastModified?: string;
  /** The file's full size, when known. */
  totalBytes?: number;
  /** The SHA-256 the file must have, when known. */
  sha256?: string;
}

/** How long an untouched lock stays valid. The holder touches it every {@link LOCK_TOUCH_MS}. */
export const LOCK_STALE_MS = 120_000;
export const LOCK_TOUCH_MS = 10_000;

/** Locks this process holds, so a lock naming our own pid is told apart from one left by a previous life. */
const heldHere = new Set<string>();

/** The files of the download of `url` in `downloadsDir`. */
export function partialPaths(downloadsDir: string, url: string): PartialPaths {
  const key = createHash("sha256").update(url).digest("hex").slice(0, 24);
  return { file: join(downloadsDir, `${key}.partial`), sidecar: join(downloadsDir, `${key}.json`), lock: join(downloadsDir, `${key}.lock`) };
}

/** The sidecar, or undefined when it is missing or unreadable (the partial is then not trusted). */
export async function readSidecar(path: string): Promise<Sidecar | undefined> {
  try {
    const data = JSON.parse(await readFile(path, "utf8")) as Partial<Sidecar>;
    return typeof data.url === "string" ? (data as Sidecar) : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces the sidecar atomically, so a crash never leaves half of one. */
export async function writeSidecar(path: string, data: Sidecar): Promise<void> {
  const temp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temp, `${JSON.stringify(data)}\n`);
  await rename(temp, path);
}

/** Deletes the partial file and its sidecar (not the lock). */
export async function discardPartial(paths: PartialPaths): Promise<void> {
  await rm(paths.file, { force: true });
  await rm(paths.sidecar, { force: true });
}

/** The size of the partial file, 0 when there is none. */
export async function partialSize(paths: PartialPaths): Promise<number> {
  try {
    return (await stat(paths.file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
}

export interface PartialLock {
  release(): Promise<void>;
}

/**
 * Takes the lock of a download.
 * @throws ChaiboxError `pull_in_progress` naming the process that holds it.
 */
export async function acquireLock(paths: PartialPaths, url: string): Promise<PartialLock> {
  if (heldHere.has(paths.lock)) throw inProgress(process.pid, url);
  await mkdir(dirname(paths.lock), { recursive: true });
  for (let tries = 0; tries < 5; tries++) {
    try {
      await writeFile(paths.lock, JSON.stringify({ pid: process.pid, url }), { flag: "wx" });
      return holdLock(paths.lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readLock(paths.lock);
    if (holder === undefined) continue; // released in between: try again
    if (!isStale(holder)) throw inProgress(holder.pid, url);
    // Re-read right before removing, so a lock another process has just taken over is left alone.
    const again = await readLock(paths.lock);
    if (again?.text === holder.text && again.mtimeMs === holder.mtimeMs) await unlink(paths.lock).catch(() => undefined);
  }
  throw inProgress(undefined, url);
}

function holdLock(path: string): PartialLock {
  heldHere.add(path);
  const timer = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, LOCK_TOUCH_MS);
  timer.unref();
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      heldHere.delete(path);
      await unlink(path).catch(() => undefined);
    },
  };
}

interface LockHolder {
  pid: number;
  text: string;
  mtimeMs: number;
}

async function readLock(path: string): Promise<LockHolder | undefined> {
  try {
    const [text, stats] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    let pid = NaN;
    try {
      pid = Number((JSON.parse(text) as { pid?: unknown }).pid);
    } catch {
      // A lock cut short by a crash between create and write: stale by content.
    }
    return { pid, text, mtimeMs: stats.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function isStale(holder: LockHolder): boolean {
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return true;
  // Our own pid in a lock we do not hold: left by an earlier process that had the same pid (containers).
  if (holder.pid === process.pid) return true;
  if (Date.now() - holder.mtimeMs > LOCK_STALE_MS) return true;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "EPERM";
  }
}

function inProgress(pid: number | undefined, url: string): ChaiboxError {
  const who = pid === process.pid ? "this process" : pid !== undefined ? `another chaibox process (pid ${pid})` : "another chaibox process";
  return new ChaiboxError(
    "pull_in_progress",
    `${who} is already downloading ${url}; wait for it to finish or cancel it there, then try again.`,
    pid !== undefined ? { pid } : {},
  );
}
