import { defineConfig } from "vitest/config";

// The disk image booted in qemu (run.sh beside this file builds it and runs this inside a network namespace).
export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/image/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    env: { CACHE_DIRECTORY: new URL("../../.cache/test-cache", import.meta.url).pathname },
    fileParallelism: false,
    // Under TCG a boot takes about a minute and a chat several seconds.
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
