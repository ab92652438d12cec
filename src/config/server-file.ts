/**
 * `<dataDir>/server.json`: a running `chaibox serve` says where it listens, so a CLI on the same data dir
 * (e.g. `models rm`) can ask it to unload a model before deleting it. The file is a hint only: the CLI
 * checks that the process is alive and that the server at that address reports the same data dir and pid.
 */
import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

export interface ServerFile {
  pid: number;
  /** Loopback URL of the HTTP server, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Absolute data dir. */
  dataDir: string;
  /** ISO 8601. */
  startedAt: string;
  /**
   * A random key made at each start that the CLI on this machine sends as an admin bearer token (`models rm`
   * through the server). Whoever can read the data dir can already read the state database; the file is
   * written readable by its owner only.
   */
  adminKey?: string;
}

export const SERVER_FILE_NAME = "server.json";

export function serverFilePath(dataDir: string): string {
  return join(resolve(dataDir), SERVER_FILE_NAME);
}

/** Writes the file atomically, readable by its owner only (it holds the local admin key). */
export async function writeServerFile(dataDir: string, info: ServerFile): Promise<void> {
  const path = serverFilePath(dataDir);
  await writeFile(`${path}.${process.pid}.tmp`, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  await rename(`${path}.${process.pid}.tmp`, path);
}

/** The file, or undefined when it is missing or unreadable. */
export async function readServerFile(dataDir: string): Promise<ServerFile | undefined> {
  try {
    const data = JSON.parse(await readFile(serverFilePath(dataDir), "utf8")) as Partial<ServerFile>;
    if (typeof data.pid !== "number" || typeof data.url !== "string" || typeof data.dataDir !== "string") return undefined;
    return data as ServerFile;
  } catch {
    return undefined;
  }
}

/** Deletes the file if this process wrote it (another server may have started on the same dir since). */
export async function removeServerFile(dataDir: string): Promise<void> {
  if ((await readServerFile(dataDir))?.pid === process.pid) await unlink(serverFilePath(dataDir)).catch(() => undefined);
}

/** The loopback URL a local client should use for a server that listens on `url` (any address → 127.0.0.1). */
export function loopbackUrl(url: string): string {
  return url.replace("://0.0.0.0", "://127.0.0.1").replace("://[::]", "://[::1]");
}
