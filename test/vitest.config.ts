import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Integration tests start real runner processes with real llama.cpp; on a 2-core box they must not
    // all run at once or their timings drift into timeouts.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
