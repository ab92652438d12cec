/** Without a system D-Bus, mDNS soft-fails: one warning, an advertiser that does nothing, and a client error that says why. */
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { discover } from "../../src/client/discover.js";
import { startAdvertising } from "../../src/platform/mdns.js";

const ad = { boxId: "box-1", name: "kitchen", port: 8080, specVersion: "1.0" };
let saved: string | undefined;

beforeEach(() => {
  saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  process.env.DBUS_SYSTEM_BUS_ADDRESS = "unix:path=/nonexistent/chaibox-test-bus";
});
afterEach(() => {
  if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
  else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
});

function collect(): { logger: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { logger, lines };
}

describe("mDNS without a system D-Bus", () => {
  it("mdns: avahi logs one warning saying what it skips, and serving goes on", async () => {
    const { logger, lines } = collect();
    const advertiser = await startAdvertising("avahi", ad, logger);
    expect(advertiser.responder).toBe("none");
    await advertiser.update("renamed");
    await advertiser.close();
    expect(lines.filter((line) => line.level >= 40)).toEqual([
      expect.objectContaining({ msg: expect.stringMatching(/^mdns is 'avahi' but there is no system D-Bus .*: chaibox is not advertised on the network$/) as unknown }),
    ]);
  });

  it("mdns: off advertises nothing and says so once, at info", async () => {
    const { logger, lines } = collect();
    const advertiser = await startAdvertising("off", ad, logger);
    expect(advertiser.responder).toBe("none");
    expect(lines).toEqual([expect.objectContaining({ level: 30, msg: "mDNS advertisement is off" })]);
  });

  it("discover with the Avahi browser says it cannot reach avahi-daemon", async () => {
    await expect(discover({ browser: "avahi", timeoutMs: 100 })).rejects.toThrow(/^cannot reach avahi-daemon: /);
  });
});
