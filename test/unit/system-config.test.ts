/** The configuration the box's unit reads (system/etc/chaibox/config.yaml) is valid and says what a box needs. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { repoRoot } from "../helpers/cli.js";

describe("the box's default configuration", () => {
  it("validates, serves on port 80 to the network, advertises through Avahi and has no demo model", async () => {
    const config = await loadConfig({ file: join(repoRoot, "system/etc/chaibox/config.yaml"), fileRequired: true, env: {} });
    expect(config.port).toBe(80);
    expect(config.host).toBe("0.0.0.0");
    expect(config.demoModel).toBe(false);
    expect(config.mdns).toBe("avahi");
  });
});
