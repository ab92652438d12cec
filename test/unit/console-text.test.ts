/** The console text a box shows (and writes to its boot partition) before and after setup. */
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { encode } from "uqr";
import { afterEach, describe, expect, it } from "vitest";
import { ConsoleNotice } from "../../src/platform/console-notice.js";
import { consoleText, setupLink, type ConsoleFacts } from "../../src/platform/console-text.js";

const before: ConsoleFacts = { boxName: "chaibox", mdnsHost: "chaibox-2.local", addresses: ["192.168.1.23"], port: 80, setupCode: "ABCD-EFGH" };

/** The QR code's modules read back from the half-block lines (▀ top, ▄ bottom, █ both), quiet zone stripped. */
function modulesOf(lines: string[]): boolean[][] {
  const rows: boolean[][] = [];
  for (const line of lines) {
    const chars = [...line];
    rows.push(chars.map((c) => c === "▀" || c === "█"), chars.map((c) => c === "▄" || c === "█"));
  }
  return rows;
}

describe("console text", () => {
  it("shows the mDNS name Avahi holds, the IP, the setup code and a QR code of the setup link", () => {
    const text = consoleText(before);
    expect(text).toContain("http://chaibox-2.local");
    expect(text).toContain("http://192.168.1.23");
    expect(text).toContain("Setup code: ABCD-EFGH");
    expect(setupLink(before)).toBe("http://192.168.1.23/");
    // The QR block decodes to the same matrix uqr makes for the setup link (dark = printed block).
    const qrLines = text.split("\n").filter((line) => /[▀▄█]/.test(line));
    expect(qrLines.length).toBeGreaterThan(10);
    const expected = encode(setupLink(before), { border: 2 }).data;
    // uqr's compact rendering prints light modules as blocks on a dark terminal: compare either polarity.
    const got = modulesOf(qrLines).slice(0, expected.length);
    const inverted = got.map((row) => row.map((dark) => !dark));
    expect([got, inverted]).toContainEqual(expected);
  });

  it("after setup says where the box is, without a code or QR code", () => {
    const text = consoleText({ ...before, setupCode: undefined });
    expect(text).toContain("http://chaibox-2.local");
    expect(text).not.toContain("ABCD");
    expect(text).not.toMatch(/[▀▄█]/);
  });

  it("says when there is no address yet, and names a non-default port", () => {
    expect(consoleText({ ...before, mdnsHost: undefined, addresses: [] })).toContain("No network address yet");
    expect(consoleText({ ...before, port: 8080 })).toContain("http://192.168.1.23:8080");
  });
});

describe("ConsoleNotice", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("writes console.txt, rewrites it only when the facts change, and removes it on stop", async () => {
    dir = await mkdtemp(join(tmpdir(), "chaibox-console-"));
    let facts = before;
    const notice = new ConsoleNotice(dir, () => facts, pino({ level: "silent" }));
    const file = join(dir, "console.txt");
    await notice.start();
    expect(await readFile(file, "utf8")).toBe(consoleText(before));
    const first = (await stat(file)).ino;
    await notice.refresh();
    expect((await stat(file)).ino).toBe(first);
    facts = { ...before, addresses: ["10.0.0.7"], setupCode: undefined };
    await notice.refresh();
    expect(await readFile(file, "utf8")).toBe(consoleText(facts));
    await notice.stop();
    await expect(stat(file)).rejects.toThrow();
  });
});
