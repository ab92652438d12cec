import { defineConfig } from "vitest/config";

// The web UI in Debian's Chromium (run.sh beside this file installs it), against a real, listening chaibox.
export default defineConfig({
  test: {
    root: new URL("../../..", import.meta.url).pathname,
    include: ["test/system/web/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    env: { CACHE_DIRECTORY: new URL("../../../.cache/test-cache", import.meta.url).pathname },
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
