/**
 * What chaibox advertises over DNS-SD (docs/chai-v1.md §6.2), whoever the responder is: the service types,
 * the instance name and the TXT record. Pure, so both responders (Avahi, the embedded one) and the discovery
 * client agree on one definition.
 */

/** The Chai API's DNS-SD service type. */
export const CHAI_SERVICE_TYPE = "_chai._tcp";
/** The web UI's DNS-SD service type. */
export const HTTP_SERVICE_TYPE = "_http._tcp";

/** The TXT keys of `_chai._tcp`, in the order they are published. */
export const chaiTxtKeys = ["chai", "id", "name", "api", "wk", "auth"] as const;
/** One of {@link chaiTxtKeys}. */
export type ChaiTxtKey = (typeof chaiTxtKeys)[number];

/** What one chaibox advertises. */
export interface ChaiAdvertisement {
  /** The box id (`id=`), stable for the life of the data dir. */
  boxId: string;
  /** The box name: the instance name and `name=`. */
  name: string;
  /** The HTTP port the API and the web UI listen on. */
  port: number;
  /** The Chai spec version (`chai=`). */
  specVersion: string;
}

/** A DNS label holds at most 63 bytes; an instance name is one label. */
const MAX_LABEL_BYTES = 63;
/** The name used when the box name is empty or only blanks. */
const FALLBACK_NAME = "chaibox";

/**
 * The DNS-SD instance name for a box name: trimmed, control characters removed, cut to 63 bytes of UTF-8
 * without splitting a character. Default `chaibox` when nothing is left.
 */
export function instanceName(boxName: string): string {
  // eslint-disable-next-line no-control-regex
  let name = boxName.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  while (Buffer.byteLength(name, "utf8") > MAX_LABEL_BYTES) name = [...name].slice(0, -1).join("");
  name = name.trim();
  return name === "" ? FALLBACK_NAME : name;
}

/** The TXT record of `_chai._tcp`, key → value, in {@link chaiTxtKeys} order. */
export function chaiTxt(ad: ChaiAdvertisement): Record<ChaiTxtKey, string> {
  return { chai: ad.specVersion, id: ad.boxId, name: ad.name, api: "/v1", wk: "/.well-known/chai", auth: "bearer" };
}

/** A TXT record as DNS carries it: one `key=value` string per entry (Avahi's `aay`). */
export function encodeTxt(txt: Readonly<Record<string, string>>): Buffer[] {
  return Object.entries(txt).map(([key, value]) => Buffer.from(`${key}=${value}`, "utf8"));
}

/**
 * A TXT record read back: entries without `=` are flags (empty value); the first occurrence of a key wins,
 * as RFC 6763 §6.4 says; keys are compared in lower case.
 */
export function decodeTxt(entries: readonly Uint8Array[]): Record<string, string> {
  const txt: Record<string, string> = {};
  for (const entry of entries) {
    const text = Buffer.from(entry).toString("utf8");
    const eq = text.indexOf("=");
    const key = (eq < 0 ? text : text.slice(0, eq)).toLowerCase();
    if (key === "" || key in txt) continue;
    txt[key] = eq < 0 ? "" : text.slice(eq + 1);
  }
  return txt;
}
