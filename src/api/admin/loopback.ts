/**
 * Until admin authentication exists, `/admin` answers only clients on this machine: the loopback ranges
 * 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (`::ffff:127.0.0.1`).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { isIP } from "node:net";
import { ChaiboxError } from "../../errors.js";

/** Whether `address` is a loopback address. Undefined (a closed socket) is not. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.toLowerCase().startsWith("::ffff:") ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return isIP(address) === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(address.toLowerCase());
}

/** An onRequest hook that answers 403 `forbidden` to anyone but loopback clients. */
export async function loopbackOnly(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (isLoopback(request.socket.remoteAddress)) return;
  throw new ChaiboxError(
    "forbidden",
    "The admin API answers only on this machine (127.0.0.1 or ::1) until admin sign-in is set up; " +
      "run the request on the box itself, or use the chaibox CLI there.",
  );
}
