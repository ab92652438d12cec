/**
 * The text a box shows on its console (HDMI and serial, through agetty's issue files) and writes to its boot
 * partition: where to open it and, until setup is done, the setup code with a QR code of the setup link. A
 * person with only a phone reads everything they need to finish the first run from it.
 */
import { renderUnicodeCompact } from "uqr";

export interface ConsoleFacts {
  /** The box's name (its setup name, or the configured one). */
  boxName: string;
  /** The mDNS host name the box holds, e.g. `chaibox.local` (Avahi's, after any collision rename). */
  mdnsHost: string | undefined;
  /** The box's IPv4 addresses on its network interfaces (no loopback). */
  addresses: string[];
  port: number;
  /** The setup code, while setup is not done. */
  setupCode: string | undefined;
}

function url(host: string, port: number): string {
  return port === 80 ? `http://${host}` : `http://${host}:${port}`;
}

/** The setup link: the address a phone opens to start the first run (an IP works where `.local` does not). */
export function setupLink(facts: ConsoleFacts): string {
  const host = facts.addresses[0] ?? facts.mdnsHost ?? "localhost";
  return `${url(host, facts.port)}/`;
}

/** The console text for these facts: plain lines, UTF-8, ending in a newline. */
export function consoleText(facts: ConsoleFacts): string {
  const places = [...(facts.mdnsHost ? [url(facts.mdnsHost, facts.port)] : []), ...facts.addresses.map((a) => url(a, facts.port))];
  const lines = [`chaibox "${facts.boxName}" - your home AI box`, ""];
  if (places.length === 0) lines.push("No network address yet: connect a network cable (the screen updates by itself).");
  else lines.push(`Open ${places.join("  or  ")}`);
  if (facts.setupCode !== undefined) {
    lines.push("", `Setup code: ${facts.setupCode}`, "", "Set it up from a phone on the same network: scan this, then enter the setup code.", "");
    // Half-block characters: two rows of modules per line, so the code fits on an 80x25 console.
    lines.push(...renderUnicodeCompact(setupLink(facts), { border: 2 }).split("\n"));
  } else {
    lines.push("", "Set up: sign in on that page to manage models and apps.");
  }
  return lines.join("\n") + "\n";
}
