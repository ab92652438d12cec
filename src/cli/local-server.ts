/**
 * Finding the `chaibox serve` that uses this CLI's data dir, so that commands which must not pull a model
 * from under a running server (`models rm`) go through it instead.
 */
import { realpath } from "node:fs/promises";
import { resolve } from "node:path";
import type { OpenAiErrorBody } from "../api/errors.js";
import { readServerFile } from "../config/server-file.js";
import { ChaiboxError, errorCodes, type ErrorCode } from "../errors.js";

/** A running server on this machine and how to reach its admin API. */
export interface LocalServer {
  /** Its loopback URL. */
  url: string;
  /** Headers that authenticate this CLI as the local admin (the key from `server.json`). */
  headers: Record<string, string>;
}

/**
 * The server running on `dataDir`, or undefined when none is: no `server.json`, its process is gone, nothing
 * answers within `timeoutMs` (default 1.5 s), or what answers reports another data dir or pid (a stale file
 * whose port another program now uses).
 */
export async function findLocalServer(dataDir: string, timeoutMs = 1500): Promise<LocalServer | undefined> {
  const file = await readServerFile(dataDir);
  if (!file || !isAlive(file.pid)) return undefined;
  const headers: Record<string, string> = file.adminKey === undefined ? {} : { authorization: `Bearer ${file.adminKey}` };
  try {
    const response = await fetch(`${file.url}/admin/server`, { headers, signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    const identity = (await response.json()) as { pid?: unknown; dataDir?: unknown };
    if (identity.pid !== file.pid || typeof identity.dataDir !== "string") return undefined;
    return (await sameDir(identity.dataDir, dataDir)) ? { url: file.url, headers } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Asks the server to unload and delete a model (`DELETE /admin/models/{id}`). The unload waits for
 * the model's running requests, so the timeout is generous (default 2 minutes).
 * @throws ChaiboxError with the server's code and message (e.g. `model_not_found`).
 */
export async function removeThroughServer(server: LocalServer, id: string, timeoutMs = 120_000): Promise<void> {
  const response = await fetch(`${server.url}/admin/models/${encodeURIComponent(id)}`, {
    method: "DELETE",
    headers: server.headers,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (response.ok) return;
  const body = (await response.json().catch(() => undefined)) as OpenAiErrorBody | undefined;
  const code = body?.error.code ?? "internal_error";
  throw new ChaiboxError(code in errorCodes ? (code as ErrorCode) : "internal_error", body?.error.message ?? `the server answered ${response.status}`);
}

async function sameDir(a: string, b: string): Promise<boolean> {
  const [ra, rb] = await Promise.all([realpath(a).catch(() => resolve(a)), realpath(b).catch(() => resolve(b))]);
  return ra === rb;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
