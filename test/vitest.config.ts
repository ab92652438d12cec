import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Integration tests start real runner processes with real llama.cpp; on a 2-core box they must not
    // all run at once or their timings drift into timeouts.
    fileParallelism: false,
    // One cache for every server the tests start: GgufInsights measures each model file once per run (a child
    // process, seconds), not once per test data dir.
    // mdns off: a test server must not multicast on this machine's network (the mDNS system tests use namespaces).
    env: { CACHE_DIRECTORY: new URL("../.cache/test-cache", import.meta.url).pathname, CHAIBOX_MDNS: "off" },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
