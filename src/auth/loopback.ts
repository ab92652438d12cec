/**
 * Loopback addresses: 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (`::ffff:127.0.0.1`). With authentication
 * off (`serve --no-auth`), `/admin` answers only clients on this machine (guard.ts).
 */
import { isIP } from "node:net";

/** Whether `address` is a loopback address. Undefined (a closed socket) is not. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.toLowerCase().startsWith("::ffff:") ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return isIP(address) === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(address.toLowerCase());
}
