import { defineConfig } from "vitest/config";

// `npm run test:reliability`: the seeded fuzz, the 500-client load run and the fault runs. Each prints its
// figures. Real servers (in this process, or `chaibox serve` children where the API itself is killed).
export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/reliability/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    env: { CACHE_DIRECTORY: new URL("../../.cache/test-cache", import.meta.url).pathname, CHAIBOX_MDNS: "off" },
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
