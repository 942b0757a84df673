/**
 * Every ```ts block of every publishable package's README.md, as a consumer would paste it: it
 * was written into the consumer project (installed from the tarballs) and compiled there by the
 * global setup. A ```ts block must type-check and run to completion (exit 0) on its own; a
 * ```ts no-run block must type-check. REDIS_URL points at a throwaway Redis while they run.
 */
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { readmeExamples } from "../src/readme-examples.js";
import { runCommand } from "../src/run-command.js";
import { parseTscOutput } from "../src/tsc-diagnostics.js";

const consumer = inject("consumer");
const examples = readmeExamples();

it("finds README examples to check", () => {
  expect(examples.length).toBeGreaterThan(0);
});

describe.each(examples)("$readme, block at line $fenceLine", (example) => {
  const diagnostics = parseTscOutput(consumer.tscOutput)
    .filter((diagnostic) => diagnostic.file === `src/readme/${example.fileName}`)
    .map((diagnostic) => diagnostic.text);

  it("type-checks against the installed packages", () => {
    // tsc reports (line,col) inside the block: README line = fenceLine + line.
    expect(diagnostics).toEqual([]);
  });

  if (!example.run) return;
  it("runs to completion", async () => {
    const file = join("dist", "readme", example.fileName.replace(/\.ts$/, ".js"));
    await runCommand(process.execPath, [file], {
      cwd: consumer.projectDir,
      env: { REDIS_URL: consumer.redisUrl },
      timeoutMs: 30_000,
    });
  });
});
