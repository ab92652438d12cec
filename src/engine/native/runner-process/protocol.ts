/**
 * The runner IPC protocol: newline-delimited JSON over a unix socket. The API process listens on the socket
 * and the runner connects back, so the same protocol serves a runner started as a child process and one
 * started as a transient systemd unit. Many chats multiplex on one connection, told apart by request id.
 *
 * This module is plain data and framing: the API process imports it, so it must never import
 * node-llama-cpp.
 */
import type { ChatEvent, ChatRequest, EmbedRequest, EmbedResult, LoadedModelInfo, LoadOptions } from "../../contract.js";
import type { SerializedError } from "../../../errors.js";
import { float32Base64, fromFloat32Base64 } from "../../float32.js";

/** Bumped on any incompatible change; the runner announces it in `hello`. 2: `embed`/`embedded`. */
export const PROTOCOL_VERSION = 2;

/**
 * Upper bound on one NDJSON line (default 64 MiB). A longer line means a broken peer: it is rejected rather
 * than buffered without limit.
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * An {@link EmbedResult} as it crosses the socket: each vector as base64 of its little-endian float32 bytes,
 * which keeps every bit of the float32 values and takes a quarter of the bytes of JSON numbers (many inputs
 * of a wide model would otherwise approach {@link MAX_LINE_BYTES}).
 */
export interface EncodedEmbedResult {
  vectors: string[];
  promptTokens: number;
}

/** Messages the API process sends to a runner. */
export type ApiToRunnerMessage =
  /** Load the model; sent once, right after `hello`. Answered by `loaded` or `load_failed`. */
  | { type: "load"; modelId: string; options: LoadOptions }
  /** Start a chat. Answered by `event` messages ending in a `done` event, or by one `error`. */
  | { type: "chat"; id: string; request: ChatRequest }
  /** Embed inputs with an embedding model. Answered by one `embedded` or one `error`. */
  | { type: "embed"; id: string; request: EmbedRequest }
  /** Abort a chat or an embedding; the runner frees its sequence and sends nothing more for that id. */
  | { type: "cancel"; id: string }
  /** Finish up and exit; the runner also exits when the socket closes. */
  | { type: "shutdown" };

/** Messages a runner sends to the API process. */
export type RunnerToApiMessage =
  /** First message after connecting. */
  | { type: "hello"; pid: number; protocol: number }
  | { type: "loaded"; info: LoadedModelInfo }
  | { type: "load_failed"; error: SerializedError }
  /** One event of chat `id`, in order; a `done` event ends the chat. */
  | { type: "event"; id: string; event: ChatEvent }
  /** The vectors of embedding `id`; nothing more follows for it. */
  | { type: "embedded"; id: string; result: EncodedEmbedResult }
  /** Chat or embedding `id` failed; nothing more follows for it. */
  | { type: "error"; id: string; error: SerializedError };

export type ProtocolMessage = ApiToRunnerMessage | RunnerToApiMessage;

/** Encodes a result for the `embedded` message. */
export function encodeEmbedResult(result: EmbedResult): EncodedEmbedResult {
  return { vectors: result.embeddings.map(float32Base64), promptTokens: result.promptTokens };
}

/** Decodes an `embedded` message's result; throws {@link ProtocolError} when it is malformed. */
export function decodeEmbedResult(encoded: EncodedEmbedResult): EmbedResult {
  const { vectors, promptTokens } = encoded as Partial<EncodedEmbedResult>;
  if (!Array.isArray(vectors) || !vectors.every((v) => typeof v === "string") || typeof promptTokens !== "number") {
    throw new ProtocolError("embedded message with a malformed result");
  }
  return { embeddings: vectors.map(fromFloat32Base64), promptTokens };
}

/** A line that is not a valid protocol message. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}

/** Encodes one message as an NDJSON line (JSON text never holds a raw newline, so one message = one line). */
export function encodeMessage(message: ProtocolMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/**
 * Splits a byte stream into lines. Chunks may end anywhere, also inside a multi-byte UTF-8 character:
 * bytes are kept until their line is complete and only whole lines are decoded. That is safe because the
 * newline byte 0x0A never occurs inside a multi-byte UTF-8 sequence.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly decoder = new TextDecoder("utf-8");

  /** @param maxLineBytes - longest accepted line; default {@link MAX_LINE_BYTES}. */
  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

  /**
   * Feeds a chunk; returns the lines it completed (without their newline; a trailing `\r` is dropped).
   * Throws {@link ProtocolError} when a line grows past the limit: the peer is broken, and the caller is
   * expected to close the connection rather than read on.
   */
  push(chunk: Uint8Array | string): string[] {
    // A view on the caller's bytes, not a copy: only the unfinished tail is copied below.
    let data = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : bufferView(chunk);
    const lines: string[] = [];
    let newline = data.indexOf(0x0a);
    while (newline !== -1) {
      const head = data.subarray(0, newline);
      this.checkLength(head.length);
      lines.push(this.decodeLine(this.pendingBytes === 0 ? head : Buffer.concat([...this.pending, head])));
      this.pending = [];
      this.pendingBytes = 0;
      data = data.subarray(newline + 1);
      newline = data.indexOf(0x0a);
    }
    if (data.length > 0) {
      this.checkLength(data.length);
      // Copy: the caller may reuse its buffer once push() returns.
      this.pending.push(Buffer.from(data));
      this.pendingBytes += data.length;
    }
    return lines;
  }

  /** Ends the stream; returns the last line when it had no trailing newline. */
  end(): string[] {
    if (this.pendingBytes === 0) return [];
    const line = this.decodeLine(Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
    return [line];
  }

  private checkLength(extra: number): void {
    if (this.pendingBytes + extra > this.maxLineBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      throw new ProtocolError(`line longer than ${this.maxLineBytes} bytes`);
    }
  }

  private decodeLine(bytes: Uint8Array): string {
    const text = this.decoder.decode(bytes);
    return text.endsWith("\r") ? text.slice(0, -1) : text;
  }
}

function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const apiToRunnerTypes = new Set(["load", "chat", "embed", "cancel", "shutdown"]);
const runnerToApiTypes = new Set(["hello", "loaded", "load_failed", "event", "embedded", "error"]);
const typesWithId = new Set(["chat", "embed", "cancel", "event", "embedded", "error"]);
/** The object-valued field each message type must carry. */
const requiredObjectField: Record<string, string> = {
  load: "options",
  chat: "request",
  embed: "request",
  event: "event",
  embedded: "result",
  error: "error",
  load_failed: "error",
  loaded: "info",
};

function parseLine(line: string, allowed: Set<string>): ProtocolMessage {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ProtocolError(`not JSON: ${line.slice(0, 200)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError("message is not an object");
  }
  const record = value as Record<string, unknown>;
  const type = record.type;
  if (typeof type !== "string" || !allowed.has(type)) {
    throw new ProtocolError(`unexpected message type ${JSON.stringify(type)}`);
  }
  if (typesWithId.has(type) && typeof record.id !== "string") {
    throw new ProtocolError(`${type} message without a string id`);
  }
  const field = requiredObjectField[type];
  if (field !== undefined && (typeof record[field] !== "object" || record[field] === null)) {
    throw new ProtocolError(`${type} message without ${field}`);
  }
  return record as unknown as ProtocolMessage;
}

/** Parses a line received by a runner; throws {@link ProtocolError} when it is not an API message. */
export function decodeApiMessage(line: string): ApiToRunnerMessage {
  return parseLine(line, apiToRunnerTypes) as ApiToRunnerMessage;
}

/** Parses a line received by the API process; throws {@link ProtocolError} when it is not a runner message. */
export function decodeRunnerMessage(line: string): RunnerToApiMessage {
  return parseLine(line, runnerToApiTypes) as RunnerToApiMessage;
}
