/** The admin API as the page uses it: JSON in and out, the session's CSRF token on every change. */

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

/** Set from `GET /admin/session` or a sign-in answer. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The headers that let the admin session use the public API (`/v1`) from this page: its CSRF token. */
export function sessionHeaders(): Record<string, string> {
  return csrfToken === null ? {} : { "x-csrf-token": csrfToken };
}

/** Called when the session is gone (expired, signed out elsewhere): the page shows the sign-in form. */
let onSignedOut: () => void = () => undefined;
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken !== null) headers["x-csrf-token"] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, credentials: "same-origin", ...(body !== undefined && { body: JSON.stringify(body) }) });
  } catch {
    throw new ApiError("The box does not answer. Is it switched on and on this network?", 0, "network_error");
  }
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => null)) as { error?: { message?: string; code?: string | null } } | null;
  if (!response.ok) {
    const code = data?.error?.code ?? null;
    if (response.status === 401 && code === "not_signed_in") onSignedOut();
    throw new ApiError(data?.error?.message ?? `The box answered ${response.status}.`, response.status, code);
  }
  return data as T;
}

export const get = <T>(path: string): Promise<T> => api<T>("GET", path);
export const post = <T>(path: string, body: unknown = {}): Promise<T> => api<T>("POST", path, body);

/** The message to show for a failed call. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
