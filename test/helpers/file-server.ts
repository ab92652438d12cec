/**
 * A real HTTP file server for download tests: serves byte buffers with ETags and byte ranges (If-Range
 * honoured), and on request misbehaves the ways real servers and networks do — drops the connection after
 * N bytes, ignores ranges, throttles, answers 503 a few times, or omits Content-Length. It records every
 * request and counts the body bytes it served per path.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ServedFile {
  body: Buffer;
  /** Default: a strong ETag from the body's hash. Null sends none. */
  etag?: string | null;
  /** Destroy the socket after this many body bytes, for the first `dropTimes` GETs. Default never. */
  dropAfterBytes?: number;
  /** Default 1. */
  dropTimes?: number;
  /** Instead of dropping the connection at `dropAfterBytes`, stop sending and keep it open (a stall). */
  hang?: boolean;
  /** Throttle to about this many bytes per second. Default unlimited. */
  bytesPerSecond?: number;
  /** Answer every request with 200 and the whole body, whatever Range says. */
  ignoreRange?: boolean;
  /** No Content-Length (chunked transfer). */
  chunked?: boolean;
  /** Answer 503 to the first `failTimes` GETs. Default 0. */
  failTimes?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  authorization: string | undefined;
  status: number;
}

export interface FileServer {
  origin: string;
  /** `<origin><path>`. */
  url(path: string): string;
  /** Files by path; tests may change or add entries between requests. */
  files: Map<string, ServedFile>;
  requests: RecordedRequest[];
  /** GET requests for `path`. */
  gets(path: string): RecordedRequest[];
  /** Body bytes sent for `path` so far. */
  bytesServed(path: string): number;
  close(): Promise<void>;
}

/** Lowercase hex SHA-256. */
export function sha256Of(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** `port`: listen on this one (a test that starts the server late, on the port a client already uses). Default: any free port. */
export async function startFileServer(files: Record<string, ServedFile> = {}, options: { port?: number } = {}): Promise<FileServer> {
  const map = new Map(Object.entries(files));
  const requests: RecordedRequest[] = [];
  const served = new Map<string, number>();
  const attempts = new Map<string, number>();
  const sockets = new Set<Socket>();

  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const file = map.get(path);
    const record: RecordedRequest = {
      method: request.method ?? "GET",
      path,
      range: request.headers.range,
      ifRange: header(request, "if-range"),
      authorization: request.headers.authorization,
      status: 0,
    };
    requests.push(record);
    if (!file) {
      record.status = 404;
      response.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const attempt = (attempts.get(path) ?? 0) + 1;
    attempts.set(path, attempt);
    if (attempt <= (file.failTimes ?? 0)) {
      record.status = 503;
      response.writeHead(503, { "retry-after": "0" }).end("busy");
      return;
    }
    void serve(file, request, response, record, attempt, (n) => served.set(path, (served.get(path) ?? 0) + n));
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    files: map,
    requests,
    gets: (path) => requests.filter((r) => r.path === path && r.method === "GET"),
    bytesServed: (path) => served.get(path) ?? 0,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function serve(
  file: ServedFile,
  request: IncomingMessage,
  response: ServerResponse,
  record: RecordedRequest,
  attempt: number,
  count: (bytes: number) => void,
): Promise<void> {
  const etag = file.etag === undefined ? `"${sha256Of(file.body).slice(0, 16)}"` : file.etag;
  const total = file.body.length;
  let start = 0;
  const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
  const ifRange = header(request, "if-range");
  const rangeValid = range && !file.ignoreRange && (ifRange === undefined || ifRange === etag);
  const headers: Record<string, string> = { "content-type": "application/octet-stream", "accept-ranges": "bytes" };
  if (etag !== null) headers.etag = etag;
  if (rangeValid) {
    start = Number(range[1]);
    if (start >= total) {
      record.status = 416;
      response.writeHead(416, { ...headers, "content-range": `bytes */${total}` }).end();
      return;
    }
    headers["content-range"] = `bytes ${start}-${total - 1}/${total}`;
  }
  if (!file.chunked) headers["content-length"] = String(total - start);
  record.status = rangeValid ? 206 : 200;
  response.writeHead(record.status, headers);
  if (request.method === "HEAD") {
    response.end();
    return;
  }

  const dropAt = file.dropAfterBytes !== undefined && attempt - (file.failTimes ?? 0) <= (file.dropTimes ?? 1) ? file.dropAfterBytes : Infinity;
  const piece = 16 * 1024;
  let sent = 0;
  for (let at = start; at < total; at += piece) {
    if (response.destroyed) return;
    let chunk = file.body.subarray(at, Math.min(total, at + piece));
    if (sent + chunk.length > dropAt) chunk = chunk.subarray(0, Math.max(0, dropAt - sent));
    if (chunk.length > 0) {
      const flushed = response.write(chunk);
      sent += chunk.length;
      count(chunk.length);
      if (!flushed) await new Promise((resolve) => response.once("drain", resolve));
    }
    if (sent >= dropAt && file.hang) return;
    if (sent >= dropAt) {
      // Let the bytes leave before cutting the connection, as a real network cut would after delivering them.
      await new Promise((resolve) => setTimeout(resolve, 20));
      response.socket?.destroy();
      return;
    }
    if (file.bytesPerSecond !== undefined) await new Promise((resolve) => setTimeout(resolve, (chunk.length / file.bytesPerSecond!) * 1000));
  }
  response.end();
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
