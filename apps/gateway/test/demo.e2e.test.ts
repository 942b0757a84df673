import { startRedisServer } from "@vmcp/redis-harness";
import { describe, expect, it } from "vitest";
import { CliPath, type Finished, runScript } from "./helpers/processes.js";

const demoPath = CliPath.replace(/cli\.js$/, "demo.js");

function runDemo(args: readonly string[]): Promise<Finished> {
  return runScript(demoPath, args);
}

function expectWalkthrough(stdout: string): void {
  expect(stdout).toMatch(/add\(\{"a":2,"b":40\}\) -> 42/);
  expect(stdout).toMatch(/reverse\(\{"text":"stressed"\}\) -> desserts/);
  expect(stdout).toMatch(/vmcp\.backend\.ids\s+alpha,beta/);
  expect(stdout).toMatch(/vmcp\.backend\.session\.alpha\s+\S+/);
  expect(stdout).toMatch(/vmcp\.backend\.session\.beta\s+\S+/);
  expect(stdout).toMatch(/owner\s+newcomer/);
  expect(stdout).toMatch(/the store no longer holds it/);
}

describe("the demo", () => {
  it("runs on the memory store and exits 0", async () => {
    const result = await runDemo([]);
    expect(result.code, result.stderr).toBe(0);
    expectWalkthrough(result.stdout);
  });

  it("runs on Redis with --store redis --redis-url", async () => {
    const redis = await startRedisServer();
    try {
      const result = await runDemo(["--store", "redis", "--redis-url", redis.url]);
      expect(result.code, result.stderr).toBe(0);
      expectWalkthrough(result.stdout);
      expect(result.stdout).toMatch(/sessions show \S+ --store redis/);
    } finally {
      await redis.close();
    }
  });

  it("exits 2 naming the field for bad configuration", async () => {
    const result = await runDemo(["--store", "redis"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/store\.url/);
  });
});
