/**
 * Downloads one file into its partial (see partial.ts), resuming where an earlier attempt or process
 * stopped, and returns its size and SHA-256 once every known fact about it checks out.
 *
 * - Resume: `Range: bytes=<size>-` with `If-Range: <validator>`. A 200 instead of 206 (the server ignores
 *   ranges, or the file changed) restarts from zero on that same response; a 206 from another offset or
 *   with another ETag restarts too. A partial is resumed only when a validator or a SHA-256 vouches for it.
 * - Retries: network errors, stalls and 5xx/429/408 answers, with {@link backoffDelay}; never other 4xx.
 * - Hashing while streaming; on resume the bytes already there are hashed first.
 * - A body that does not start with the GGUF magic stops the download at once (a login page, a 404 page).
 * - Bytes are written in pieces of at most 64 KiB: model files written with multi-MiB writes were measured
 *   to generate slower once llama.cpp memory-maps them (see src/gguf/writer.ts).
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, truncate, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ChaiboxError } from "../../errors.js";
import { GGUF_MAGIC } from "../../gguf/constants.js";
import { backoffDelay, isRetryableStatus, parseRetryAfter, type RetryPolicy } from "./backoff.js";
import { diskFullError, ensureFreeSpace, isNoSpace } from "./disk.js";
import { fetchRange, parseContentRange, validatorOf } from "./fetch-range.js";
import { discardPartial, partialSize, readSidecar, writeSidecar, type PartialPaths, type Sidecar } from "./partial.js";
import { displayUrl } from "./source.js";
import { networkWords, statusWords } from "./failure-words.js";
import type { SourcePolicy } from "./source-policy.js";

export interface DownloadOptions {
  url: string;
  /** Headers for `url`'s origin (a token). Default none. */
  headers?: Record<string, string>;
  /** The size the file must have, when known. */
  expectedSize?: number;
  /** The SHA-256 the file must have, when known. */
  sha256?: string;
  /** An estimated size, for the free-space check before the server tells the real one. */
  sizeHint?: number;
  paths: PartialPaths;
  /** The directory disk-space messages name (the data dir). */
  displayPath: string;
  /** Bytes that must stay free on the disk. */
  reserveBytes: number;
  retry: RetryPolicy;
  /** An attempt receiving nothing for this long is abandoned and retried. */
  stallTimeoutMs: number;
  /** Aborting stops the download and keeps the partial for a later resume; the reason is thrown. */
  signal: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  onRetry?: (retry: { attempt: number; delayMs: number; reason: string }) => void;
  /** Which hosts may be fetched from (source-policy.ts). Default: every host. */
  policy?: SourcePolicy;
}

export interface DownloadProgress {
  receivedBytes: number;
  totalBytes: number | undefined;
  /** Bytes that were already in the partial when this download started. */
  resumedFromBytes: number;
}

export interface DownloadResult {
  sizeBytes: number;
  /** Lowercase hex SHA-256 of the bytes in the partial. */
  sha256: string;
}

/** Downloads into `options.paths.file`. Errors other than an abort and exhausted retries discard nothing. */
export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  return new Download(options).run();
}

/** A failure worth another attempt: a network error, a stall, a retryable status, a body cut short. */
class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const MAX_WRITE_BYTES = 64 * 1024;
const MAGIC = Buffer.alloc(4);
MAGIC.writeUInt32LE(GGUF_MAGIC);

class Download {
  private received = 0;
  private resumedFrom = 0;
  private hash: Hash = createHash("sha256");
  private total: number | undefined;
  private sidecar: Sidecar;
  private spaceChecked = false;
  private readonly display: string;

  constructor(private readonly o: DownloadOptions) {
    this.total = o.expectedSize;
    this.display = displayUrl(o.url);
    this.sidecar = { url: o.url, ...(o.expectedSize !== undefined && { totalBytes: o.expectedSize }), ...(o.sha256 && { sha256: o.sha256 }) };
  }

  async run(): Promise<DownloadResult> {
    await mkdir(dirname(this.o.paths.file), { recursive: true });
    await this.loadPartial();
    await this.checkSpace();
    let failures = 0;
    for (;;) {
      const before = this.received;
      try {
        await this.attempt();
        break;
      } catch (error) {
        if (this.o.signal.aborted) throw this.o.signal.reason;
        if (!(error instanceof RetryableError || isNetworkError(error))) throw error;
        failures = this.received > before ? 1 : failures + 1;
        const reason = error instanceof RetryableError ? error.message : networkWords(error, this.o.url);
        if (failures > this.o.retry.retries) {
          throw new ChaiboxError("download_failed", `Downloading ${this.display} failed after ${failures - 1} retries: ${reason}.`, {
            url: this.display,
          });
        }
        const delayMs = backoffDelay(failures - 1, this.o.retry, error instanceof RetryableError ? error.retryAfterMs : undefined);
        this.o.onRetry?.({ attempt: failures, delayMs, reason });
        await sleep(delayMs, undefined, { signal: this.o.signal }).catch(() => {
          throw this.o.signal.reason;
        });
      }
    }
    return this.verify();
  }

  /** Trusts an existing partial only when its sidecar matches this download; hashes its bytes. */
  private async loadPartial(): Promise<void> {
    const { paths } = this.o;
    const [sidecar, size] = [await readSidecar(paths.sidecar), await partialSize(paths)];
    const differs = <T>(a: T | undefined, b: T | undefined) => a !== undefined && b !== undefined && a !== b;
    const usable =
      size > 0 &&
      sidecar !== undefined &&
      sidecar.url === this.o.url &&
      !differs(sidecar.sha256, this.o.sha256) &&
      !differs(sidecar.totalBytes, this.o.expectedSize) &&
      (sidecar.etag !== undefined || sidecar.lastModified !== undefined || (sidecar.sha256 ?? this.o.sha256) !== undefined) &&
      size <= (sidecar.totalBytes ?? Infinity);
    if (!usable) {
      await discardPartial(paths);
      return;
    }
    this.sidecar = { ...sidecar, ...this.sidecar, ...pick(sidecar, ["etag", "lastModified"]) };
    this.total ??= sidecar.totalBytes;
    for await (const chunk of createReadStream(paths.file, { highWaterMark: 1 << 20, signal: this.o.signal })) {
      if (this.received === 0) this.checkMagic(chunk as Buffer);
      this.hash.update(chunk as Buffer);
      this.received += (chunk as Buffer).length;
    }
    this.resumedFrom = this.received;
  }

  private async checkSpace(): Promise<void> {
    if (this.spaceChecked && this.total !== undefined) return;
    if (this.total !== undefined) this.spaceChecked = true;
    await ensureFreeSpace({
      dir: dirname(this.o.paths.file),
      displayPath: this.o.displayPath,
      neededBytes: Math.max(0, (this.total ?? this.o.sizeHint ?? 0) - this.received),
      reserveBytes: this.o.reserveBytes,
    });
  }

  /** One request; resolves once the body ended with every expected byte. */
  private async attempt(): Promise<void> {
    const stall = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => stall.abort(new RetryableError(`no data for ${this.o.stallTimeoutMs / 1000} s`)), this.o.stallTimeoutMs);
    };
    touch();
    try {
      const validator = this.sidecar.etag ?? this.sidecar.lastModified;
      const response = await fetchRange({
        url: this.o.url,
        headers: this.o.headers ?? {},
        offset: this.received,
        ...(validator !== undefined && { ifRange: validator }),
        signal: AbortSignal.any([this.o.signal, stall.signal]),
        policy: this.o.policy,
      });
      touch();
      if (!(await this.accept(response))) return;
      await this.receive(response, touch);
      if (this.total !== undefined && this.received < this.total) throw new RetryableError("the connection closed before the end of the file");
    } catch (error) {
      if (stall.signal.aborted && !this.o.signal.aborted) throw stall.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Decides what the response means for the partial; false when there is no body to read. */
  private async accept(response: Response): Promise<boolean> {
    const range = parseContentRange(response.headers.get("content-range"));
    if (response.status === 416) {
      await response.body?.cancel().catch(() => undefined);
      const total = range.total ?? this.sidecar.totalBytes;
      if (total !== undefined && total === this.received) return false; // the partial is the whole file
      await this.restart();
      throw new RetryableError("the server refused the resume range");
    }
    if (response.status === 206) {
      const { etag } = validatorOf(response);
      if (range.start !== this.received || (etag !== undefined && this.sidecar.etag !== undefined && etag !== this.sidecar.etag)) {
        await response.body?.cancel().catch(() => undefined);
        await this.restart();
        throw new RetryableError("the server's file changed since the download started");
      }
      await this.adopt(response, range.total);
      return true;
    }
    if (response.status === 200) {
      if (this.received > 0) await this.restart();
      const length = Number(response.headers.get("content-length") ?? NaN);
      await this.adopt(response, Number.isSafeInteger(length) ? length : undefined);
      return true;
    }
    await response.body?.cancel().catch(() => undefined);
    // In words, with the status number only: the server's own status text is something fetched.
    const status = `HTTP ${response.status}`;
    if (isRetryableStatus(response.status)) {
      throw new RetryableError(statusWords(this.o.url, status), parseRetryAfter(response.headers.get("retry-after")));
    }
    const what =
      response.status === 401 || response.status === 403
        ? "access refused (a gated Hugging Face model needs models.hfToken or HF_TOKEN)"
        : response.status === 404 || response.status === 410
          ? "no such file"
          : "an error";
    throw new ChaiboxError("download_failed", `Downloading ${this.display} failed: ${statusWords(this.o.url, status)}, ${what}.`, {
      url: this.display,
      status: response.status,
    });
  }

  /** Records the file's size and validator and checks them against what is expected. */
  private async adopt(response: Response, total: number | undefined): Promise<void> {
    if (total !== undefined) {
      if (this.o.expectedSize !== undefined && total !== this.o.expectedSize) {
        await response.body?.cancel().catch(() => undefined);
        throw new ChaiboxError(
          "checksum_mismatch",
          `${this.display} is ${total} bytes, but ${this.o.expectedSize} were expected; nothing was installed.`,
          { url: this.display, expectedSize: this.o.expectedSize, actualSize: total },
        );
      }
      this.total = total;
    }
    await this.checkSpace();
    this.sidecar = { ...this.sidecar, ...validatorOf(response), ...(this.total !== undefined && { totalBytes: this.total }) };
    await writeSidecar(this.o.paths.sidecar, this.sidecar);
  }

  private async receive(response: Response, touch: () => void): Promise<void> {
    if (!response.body) return;
    const handle = await open(this.o.paths.file, this.received === 0 ? "w" : "r+");
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        touch();
        await this.write(handle, chunk);
        this.o.onProgress?.({ receivedBytes: this.received, totalBytes: this.total, resumedFromBytes: this.resumedFrom });
      }
    } finally {
      await handle.close();
    }
  }

  private async write(handle: FileHandle, chunk: Uint8Array): Promise<void> {
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.received === 0) this.checkMagic(buffer);
    for (let at = 0; at < buffer.length; at += MAX_WRITE_BYTES) {
      const piece = buffer.subarray(at, at + MAX_WRITE_BYTES);
      try {
        await handle.write(piece, 0, piece.length, this.received);
      } catch (error) {
        if (!isNoSpace(error)) throw error;
        throw await diskFullError(dirname(this.o.paths.file), this.o.displayPath, this.received, this.total);
      }
      this.hash.update(piece);
      this.received += piece.length;
    }
  }

  private checkMagic(first: Buffer): void {
    // Chunks shorter than the magic are rare enough that only a chunk holding all four bytes is judged.
    if (first.length < MAGIC.length || first.subarray(0, MAGIC.length).equals(MAGIC)) return;
    // Nothing of what was fetched is quoted: a pull must not become a way to read other servers.
    throw new ChaiboxError("invalid_model_file", `${this.display} is not a GGUF file (it does not start with the GGUF signature); nothing was installed.`, {
      path: this.display,
      problem: "not_gguf",
    });
  }

  private async restart(): Promise<void> {
    this.received = 0;
    this.resumedFrom = 0;
    this.hash = createHash("sha256");
    this.spaceChecked = false;
    this.sidecar = { url: this.o.url, ...pick(this.sidecar, ["sha256"]), ...(this.o.expectedSize !== undefined && { totalBytes: this.o.expectedSize }) };
    this.total = this.o.expectedSize;
    await truncate(this.o.paths.file, 0).catch(() => undefined);
  }

  private async verify(): Promise<DownloadResult> {
    const sha256 = this.hash.digest("hex");
    const expected = this.o.expectedSize ?? this.total;
    if (expected !== undefined && this.received !== expected) {
      throw new ChaiboxError("checksum_mismatch", `${this.display} ended after ${this.received} of ${expected} bytes; nothing was installed.`, {
        url: this.display,
        expectedSize: expected,
        actualSize: this.received,
      });
    }
    if (this.o.sha256 !== undefined && sha256 !== this.o.sha256.toLowerCase()) {
      throw new ChaiboxError(
        "checksum_mismatch",
        `${this.display} has SHA-256 ${sha256}, but ${this.o.sha256} was expected; the file was deleted and nothing was installed.`,
        { url: this.display, expected: this.o.sha256, actual: sha256 },
      );
    }
    const handle = await open(this.o.paths.file, "r");
    await handle.sync().finally(() => handle.close());
    return { sizeBytes: this.received, sha256 };
  }
}

function pick<T extends object, K extends keyof T>(object: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (object[key] !== undefined) out[key] = object[key];
  return out;
}

/** fetch's own failures (refused, reset, cut mid-body) are TypeErrors; file-system errors carry a syscall. */
function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError && !(error instanceof ChaiboxError);
}
