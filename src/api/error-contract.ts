/**
 * One error contract for every answer, including those Fastify and Node give before a route runs: an
 * unknown route (404), a known path with another method (405 with `Allow`), a path parameter over the
 * router's limit (414), a malformed URL (400), a body over the limit (413, answered from Content-Length
 * before the body is read), and the HTTP server's own 400/408/431. Each is in the envelope of the dialect its
 * path belongs to: Ollama's `{"error": "…"}` under `/api`, OpenAI's `{"error": {message, type, param, code}}`
 * everywhere else.
 */
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { normalizeError, openAiError, type NormalizedError } from "./errors.js";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** Whether `url` (a request URL with its query) is in the Ollama dialect. */
export function isOllamaPath(url: string): boolean {
  const path = url.split("?")[0] ?? "";
  return path === "/api" || path.startsWith("/api/");
}

/** The body of `error` in the envelope of `url`'s dialect. */
export function envelopeFor(url: string, error: NormalizedError): object {
  return isOllamaPath(url) ? { error: error.message } : openAiError(error);
}

/** Sends `error` in its dialect's envelope, with Retry-After when it has one. */
export function sendError(request: FastifyRequest, reply: FastifyReply, error: NormalizedError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) void reply.header("retry-after", String(error.retryAfterSeconds));
  // A body over the limit is refused from its Content-Length: the rest of it is not read, so the connection
  // cannot carry another request. Saying so lets the client stop sending instead of seeing a reset.
  if (error.status === 413) void reply.header("connection", "close");
  return reply.status(error.status).send(envelopeFor(request.url, error));
}

/** The methods that have a route for `path`, not counting the web UI's catch-all. */
function allowedMethods(app: FastifyInstance, path: string): string[] {
  return METHODS.filter((method) => {
    const found = app.findRoute({ method, url: path });
    return found !== null && !("*" in (found.params as Record<string, string>));
  });
}

/**
 * The not-found handler of `app` (the root or a dialect's plugin): 405 with `Allow` when the path exists for
 * other methods, else 404, in the path's dialect.
 */
export function notFoundOrWrongMethod(app: FastifyInstance) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split("?")[0] ?? "";
    const allowed = allowedMethods(app, path);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      void reply.header("allow", allowed.join(", "));
      return sendError(request, reply, {
        status: 405,
        code: "method_not_allowed",
        message: `${request.method} is not allowed on ${path}: use ${allowed.join(" or ")}.`,
        param: null,
        internal: false,
      });
    }
    const message = isOllamaPath(path) ? `unknown route: ${request.method} ${path}` : `Unknown route: ${request.method} ${path}`;
    return sendError(request, reply, { status: 404, code: "unknown_route", message, param: null, internal: false });
  };
}

/** Fastify's `frameworkErrors`: router failures before any route runs. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === "FST_ERR_MAX_PARAM_LENGTH") {
    void sendError(request, reply, { status: 414, code: "uri_too_long", message: "A path parameter of this URL is too long (at most 100 characters).", param: null, internal: false });
    return;
  }
  if (error.code === "FST_ERR_BAD_URL") {
    void sendError(request, reply, { status: 400, code: "invalid_request", message: "The URL is not valid: a part of its path cannot be decoded.", param: null, internal: false });
    return;
  }
  void sendError(request, reply, normalizeError(error));
}

const clientErrors: Record<string, { status: number; code: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: "request_timeout", message: "The request was not received in time." },
  ERR_HTTP_HEADERS_TIMEOUT: { status: 408, code: "request_timeout", message: "The request headers were not received in time." },
  HPE_HEADER_OVERFLOW: { status: 431, code: "headers_too_large", message: "The request headers are larger than this server accepts." },
};

/**
 * The HTTP server's `clientError`: a request that could not be parsed or arrived too slowly. The path is not
 * known yet, so the answer is in OpenAI's envelope, and the connection is closed.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || error.code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  const known = clientErrors[error.code ?? ""] ?? { status: 400, code: "invalid_request", message: "The request is not valid HTTP." };
  const body = JSON.stringify(openAiError({ ...known, param: null, internal: false }));
  const reason = { 400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large" }[known.status] ?? "Error";
  socket.end(`HTTP/1.1 ${known.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
