/**
 * Which credential each route needs. Pure: decided from the method and the route's path (its registered
 * pattern when a route matched, so what is checked is what runs).
 */

/**
 * `public`: anyone. `inference`: a bearer token of any scope. `models`: installing, pulling, deleting, copying
 * or creating models — a `models` or `admin` token, or whatever `admin` accepts. `admin`: a signed-in admin
 * session (with its CSRF token on state-changing requests), an `admin` token, or the CLI's local key.
 */
export type Access = "public" | "inference" | "models" | "admin";

/** Exact public routes: health, discovery, sign-in and first-run setup, and the pairing request endpoints. */
const publicRoutes = new Set([
  "GET /health",
  "HEAD /health",
  "GET /.well-known/chai",
  "HEAD /.well-known/chai",
  "GET /admin/session",
  "HEAD /admin/session",
  "POST /admin/login",
  "POST /admin/setup",
  "POST /admin/setup/verify",
  "POST /chai/v1/pairings",
  "POST /chai/v1/pairings/token",
  "GET /chai/v1/pairings/lookup",
  "POST /chai/v1/pairings/cancel",
]);

/**
 * Model management in every dialect: Ollama's pull, delete, copy, create and blob upload, and the admin
 * API's model routes. An inference token (what pairing gives) reaches none of them.
 */
const modelRoutes = new Set(["POST /api/pull", "DELETE /api/delete", "POST /api/copy", "POST /api/create", "POST /api/blobs/:digest", "HEAD /api/blobs/:digest"]);

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** The access a request needs. Anything outside the API prefixes is public: the web UI's static files, 404s. */
export function routeAccess(method: string, path: string): Access {
  if (publicRoutes.has(`${method} ${path}`)) return "public";
  if (modelRoutes.has(`${method} ${path}`) || under(path, "/admin/models")) return "models";
  if (under(path, "/admin")) return "admin";
  if (under(path, "/v1") || under(path, "/api") || under(path, "/chai") || path === "/metrics" || path === "/openapi.json") return "inference";
  return "public";
}

/** Methods that change nothing and so need no CSRF token. */
export function isSafeMethod(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}
