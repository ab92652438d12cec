/** Runs `avahi-browse -rtp` on a host and reads its resolved lines. */
import type { Host } from "./hosts.js";

export interface Browsed {
  iface: string;
  name: string;
  type: string;
  host: string;
  address: string;
  port: number;
  txt: Record<string, string>;
}

/** avahi-browse -p escapes a label's dots and backslashes as `\.` `\\` and other characters as `\DDD`. */
export function unescapeLabel(text: string): string {
  return text.replace(/\\(\d{3}|.)/g, (_, code: string) => (code.length === 3 ? String.fromCharCode(Number(code)) : code));
}

/** `"k=v" "k2=v2"` → { k: "v", k2: "v2" }. */
function parseTxt(field: string): Record<string, string> {
  const txt: Record<string, string> = {};
  for (const match of field.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    const entry = match[1] ?? "";
    const eq = entry.indexOf("=");
    txt[eq < 0 ? entry : entry.slice(0, eq)] = eq < 0 ? "" : entry.slice(eq + 1);
  }
  return txt;
}

/** The services of `type` that `host`'s avahi-daemon resolves now (one line per interface and family). */
export async function avahiBrowse(host: Host, type: string): Promise<Browsed[]> {
  const out = await host.exec("avahi-browse", ["-rtp", "--no-db-lookup", type]);
  return out
    .split("\n")
    .filter((line) => line.startsWith("="))
    .map((line) => {
      const [, iface = "", , name = "", serviceType = "", , hostName = "", address = "", port = "0", ...txt] = line.split(";");
      return { iface, name: unescapeLabel(name), type: serviceType, host: hostName, address, port: Number(port), txt: parseTxt(txt.join(";")) };
    });
}
