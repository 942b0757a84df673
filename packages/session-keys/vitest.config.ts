import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // vitest's default of 5 s is too tight for a busy 2-core CI machine: 100,000 session ID
    // draws took 6.5 s there while another suite ran (about 0.5 s on a quiet one).
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
