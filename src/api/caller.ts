/** Who made a request, as the inference pipeline takes it: an ordinary argument of every call. */
import type { FastifyRequest } from "fastify";
import type { Caller } from "../engine/pipeline/index.js";

/** The request's app token, from what the auth guard recorded; no token for sessions, the local CLI and open APIs. */
export function callerOf(request: FastifyRequest): Caller {
  return request.auth.kind === "token" ? { tokenId: request.auth.tokenId } : {};
}
