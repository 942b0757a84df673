import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // These tests spawn stdio MCP servers and gateway-side replicas: on a busy 2-core machine a
    // spawn and its initialize take seconds, more than vitest's default of 5 s (a stdio test
    // timed out there at 5,067 ms while passing in 1 s on a quiet one).
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
