import { defineConfig } from "vitest/config";

/** The mDNS system tests (run by run.sh as root, after it installed Avahi and D-Bus and built dist/). */
export default defineConfig({
  test: {
    root: new URL("../../..", import.meta.url).pathname,
    include: ["test/system/mdns/*.test.ts"],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
});
