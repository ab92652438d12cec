/**
 * `chaibox serve`'s log: human lines with `--log-format pretty` (what a terminal gets), the setup code on its
 * own line; JSON when stdout is not a terminal (under systemd, piped).
 */
import { describe, expect, it } from "vitest";
import { resolveLogFormat } from "../../src/cli/log-output.js";
import { withServe } from "../helpers/cli.js";

/** Runs serve until its output shows the setup code, then stops it; returns what it printed. */
const serveUntilSetupCode = (format: string[]): Promise<string> => withServe(format, (output) => /Setup code: \S+/.test(output) && output.includes("serving"));

describe("serve's log", () => {
  it("picks human lines on a terminal and JSON under systemd or when piped", () => {
    expect(resolveLogFormat("auto", true, {})).toBe("pretty");
    expect(resolveLogFormat("auto", false, {})).toBe("json");
    expect(resolveLogFormat("auto", true, { JOURNAL_STREAM: "8:1234" })).toBe("json");
    expect(resolveLogFormat("json", true, {})).toBe("json");
    expect(resolveLogFormat("pretty", false, {})).toBe("pretty");
  });

  it("prints human lines with --log-format pretty, the setup code on its own line", async () => {
    const output = await serveUntilSetupCode(["--log-format", "pretty"]);
    const lines = output.split("\n").filter((line) => line.trim() !== "");
    expect(lines.some((line) => line.startsWith("{"))).toBe(false);
    // Without the colour codes (ESC [ n m).
    const plain = lines.find((line) => line.includes("Setup code:"))?.replace(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, "g"), "");
    expect(plain).toMatch(/^\[[\d:.]+\] WARN.*: Setup code: [A-Z0-9]{4}-[A-Z0-9]{4}$/);
  });

  it("prints JSON when stdout is not a terminal", async () => {
    const output = await serveUntilSetupCode([]);
    const entries = output.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line) as { msg: string; setupCode?: string });
    const code = entries.find((entry) => entry.msg.startsWith("Setup code: "));
    expect(code?.msg).toBe(`Setup code: ${code?.setupCode ?? ""}`);
  });
});
