/** Random secrets and how they are compared and stored. Pure apart from the random source. */
import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";

/** A high-entropy secret (256 bits) in base64url, with a prefix that tells what it is: `chai_…`. */
export function randomSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}

/** A short id for a row people may see (`tok_3f9a…`): 64 random bits in hex. */
export function randomId(prefix: string): string {
  return `${prefix}${randomBytes(8).toString("hex")}`;
}

/** SHA-256 in hex: how high-entropy secrets are stored, so the database alone never gives them away. */
export function sha256(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Compares two strings in time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * A code people read and type: `length` characters from `alphabet`, split in groups of four by dashes
 * (`XXXX-XXXX`).
 */
export function humanCode(alphabet: string, length = 8): string {
  let code = "";
  for (let i = 0; i < length; i++) code += alphabet[randomInt(alphabet.length)] ?? "";
  return code.replace(/(.{4})(?=.)/g, "$1-");
}

/** Upper-cases a typed code and drops spaces and dashes, so `abcd efgh` matches `ABCD-EFGH`. */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "");
}

/** Setup-code letters: no 0/O or 1/I/L, which people confuse on a console. 8 of them ≈ 40 bits. */
export const SETUP_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/** RFC 8628 §6.1's user-code alphabet: consonants only, so no word is spelled by chance. 8 ≈ 34.5 bits. */
export const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";
