/**
 * The suite's HTTP side: every request goes through here, so it is bounded (count, time, size), carries the
 * token when asked, and is recorded for the report and for the OpenAPI check.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { CheckFailure, type Exchange } from "./failures.js";

/** A parsed answer. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: unknown;
  exchange: Exchange;
}

/** Options of one request. */
export interface RequestOptions {
  /** A JSON body (objects are serialized; a string is sent as is). */
  body?: unknown;
  /** Send the run's token (default true); a string sends that token instead; false sends none. */
  token?: boolean | string;
  headers?: Record<string, string>;
  /** Milliseconds. Default: the probe's. */
  timeoutMs?: number;
}

/** One server-sent event: its `event:` name (if any) and its data text. */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

const TRIM = 600;
const MAX_BODY = 4 * 1024 * 1024;

function trim(text: string): string {
  return text.length > TRIM ? `${text.slice(0, TRIM)}… (${text.length} characters)` : text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Thrown when the suite's request budget is spent: a bug in the suite, never the server's fault. */
export class BudgetExceeded extends Error {
  override readonly name = "BudgetExceeded";
}

export class Probe {
  /** Requests sent so far. */
  count = 0;
  /** Every exchange with a JSON answer, for the OpenAPI check: method, route path, status, body. */
  readonly recorded: { method: string; path: string; status: number; json: unknown }[] = [];

  constructor(
    readonly origin: string,
    private readonly token: string | undefined,
    private readonly options: { maxRequests: number; timeoutMs: number },
  ) {}

  private headersFor(options: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === false ? undefined : typeof options.token === "string" ? options.token : this.token;
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers["content-type"] ??= "application/json";
    return headers;
  }

  private spend(): void {
    this.count += 1;
    if (this.count > this.options.maxRequests) throw new BudgetExceeded(`the suite's budget of ${this.options.maxRequests} requests is spent`);
  }

  /** Sends one request and reads the whole answer (at most 4 MiB). */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    this.spend();
    const sent = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    const url = `${this.origin}${path}`;
    const exchange: Exchange = { method, url, ...(sent !== undefined && { sent: trim(sent) }), status: 0, received: "" };
    try {
      const response = await fetch(url, {
        method,
        headers: this.headersFor(options),
        ...(sent !== undefined && { body: sent }),
        signal: AbortSignal.timeout(options.timeoutMs ?? this.options.timeoutMs),
      });
      const text = await readLimited(response, MAX_BODY);
      exchange.status = response.status;
      exchange.received = trim(text);
      const json = parseJson(text);
      if (json !== undefined) this.recorded.push({ method, path: path.split("?")[0] ?? path, status: response.status, json });
      return { status: response.status, headers: response.headers, text, json, exchange };
    } catch (error) {
      exchange.received = `no answer: ${(error as Error).message}`;
      throw new CheckFailure(`no answer to ${method} ${path}: ${(error as Error).message}`, exchange);
    }
  }

  /**
   * Sends a streaming request and collects its events, at most `maxEvents`; `abortAfter` events closes the
   * connection early (a client that goes away).
   */
  async stream(path: string, body: unknown, limits: { maxEvents?: number; abortAfter?: number } = {}): Promise<{ answer: Omit<Answer, "json">; events: SseEvent[]; done: boolean }> {
    this.spend();
    const sent = JSON.stringify(body);
    const url = `${this.origin}${path}`;
    const exchange: Exchange = { method: "POST", url, sent: trim(sent), status: 0, received: "" };
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error("timed out")), this.options.timeoutMs);
    const events: SseEvent[] = [];
    let text = "";
    let done = false;
    try {
      const response = await fetch(url, { method: "POST", headers: this.headersFor({ body }), body: sent, signal: controller.signal });
      exchange.status = response.status;
      const reader = response.body?.getReader() as ReadableStreamDefaultReader<Uint8Array> | undefined;
      const decoder = new TextDecoder();
      let buffer = "";
      while (reader) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        const chunk = decoder.decode(value, { stream: true });
        text += chunk;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseEvent(block);
          if (event) events.push(event);
        }
        if (text.length > MAX_BODY || events.length >= (limits.maxEvents ?? 2000)) break;
        if (limits.abortAfter !== undefined && events.length >= limits.abortAfter) {
          controller.abort(new Error("closed by the client"));
          break;
        }
      }
      done = !controller.signal.aborted;
      exchange.received = trim(text);
      return { answer: { status: response.status, headers: response.headers, text, exchange }, events, done };
    } catch (error) {
      if (controller.signal.aborted && limits.abortAfter !== undefined && events.length >= limits.abortAfter) {
        exchange.received = trim(text);
        return { answer: { status: exchange.status, headers: new Headers(), text, exchange }, events, done: false };
      }
      exchange.received = `${trim(text)}\nno complete answer: ${(error as Error).message}`;
      throw new CheckFailure(`no complete answer to POST ${path}: ${(error as Error).message}`, exchange);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Announces a body of `declaredBytes` but sends only a little of it, and returns the status of the answer:
   * a server that enforces its limit answers from the headers without reading the rest.
   */
  async oversized(path: string, declaredBytes: number): Promise<{ status: number; exchange: Exchange }> {
    this.spend();
    const url = new URL(path, this.origin);
    const exchange: Exchange = { method: "POST", url: url.href, sent: `(Content-Length: ${declaredBytes}, 1 KiB sent)`, status: 0, received: "" };
    const status = await new Promise<number>((resolve) => {
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      const req = send(url, { method: "POST", headers: { ...this.headersFor({ body: {} }), "content-length": String(declaredBytes) } }, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          if (text.length < TRIM) text += chunk.toString("utf8");
        });
        res.on("end", () => {
          exchange.received = trim(text);
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        res.on("error", () => resolve(res.statusCode ?? 0));
      });
      req.setTimeout(this.options.timeoutMs, () => {
        exchange.received = "no answer before the timeout";
        req.destroy();
        resolve(0);
      });
      req.on("error", (error) => {
        if (exchange.received === "") exchange.received = `connection: ${error.message}`;
        resolve(exchange.status || 0);
      });
      req.write(`{"model":"x","messages":[${" ".repeat(1024)}`);
    });
    exchange.status = status;
    return { status, exchange };
  }
}

async function readLimited(response: Response, max: number): Promise<string> {
  const reader = response.body?.getReader() as ReadableStreamDefaultReader<Uint8Array> | undefined;
  if (!reader) return "";
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (text.length > max) {
      await reader.cancel();
      break;
    }
  }
  return text + decoder.decode();
}

function parseEvent(block: string): SseEvent | undefined {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return data.length === 0 ? undefined : { event, data: data.join("\n") };
}
