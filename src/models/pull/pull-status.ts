/** The state of a pull as callers see it, and the events that report its changes. */
import type { ErrorCode } from "../../errors.js";
import type { ModelManifest } from "../manifest.js";

export type PullState = "queued" | "downloading" | "verifying" | "done" | "failed" | "cancelled";

/** A pull as callers see it; every event carries a fresh copy. */
export interface PullStatus {
  id: string;
  /** The reference as given. */
  ref: string;
  /** Where it downloads from (without a query string, which may hold a signature). */
  url: string;
  /** The id the model is installed under. */
  modelId: string;
  state: PullState;
  receivedBytes: number;
  /** Null until the catalog or the server tells the size. */
  totalBytes: number | null;
  /** Bytes that were already downloaded (by an earlier attempt or process) when this pull started. */
  resumedFromBytes: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  /** The expected SHA-256 when the catalog gives one; the verified one once done. */
  sha256: string | null;
  /** Retries so far after network errors, stalls and 5xx answers. */
  retries: number;
  /** Why the last retry was needed (e.g. `fetch failed (connect ECONNREFUSED …)`); null before any. */
  retryReason: string | null;
  /** ISO 8601 times. */
  createdAt: string;
  finishedAt: string | null;
  error: { code: ErrorCode; message: string } | null;
  /** The installed model's manifest once done. */
  model: ModelManifest | null;
}

/** `state`: a state change (or the current state, first thing a subscriber gets); `progress`: bytes moved; `done`/`error`: final. */
export interface PullEvent {
  type: "state" | "progress" | "done" | "error";
  pull: PullStatus;
}

export interface PullRequest {
  ref: string;
  /** Install under this id instead of the reference's default. */
  id?: string;
}

export interface PullLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}
