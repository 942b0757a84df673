import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    // The release flow copies the repository, installs, builds and publishes: minutes, not seconds,
    // on a busy 2-core machine.
    testTimeout: 240_000,
    hookTimeout: 240_000,
  },
});
