import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The release flow copies the repository, installs, builds and publishes: minutes, not seconds,
    // on a busy 2-core machine.
    testTimeout: 240_000,
    hookTimeout: 240_000,
  },
});
