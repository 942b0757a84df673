import {
  type RedisServer,
  requireRedisServer,
  startRedisServer,
  waitUntil,
} from "@vmcp/redis-harness";
import { StorageUnavailableError } from "@vmcp/session-core";
import { RedisStorage } from "@vmcp/store-redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { timed, uniquePrefix } from "../fixtures.js";

requireRedisServer();

let server: RedisServer;
const opened: RedisStorage[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});

afterEach(async () => {
  server.resume();
  for (const storage of opened.splice(0)) await storage.close();
});

afterAll(async () => {
  await server?.close();
});

/** The bound under test, ms, and the event-loop slack allowed on a busy 2-core machine. */
const TimeoutMs = 1_000;
const SlackMs = 400;

/**
 * Two waves of calls while Redis hangs (SIGSTOP): the first at once, the second 300 ms later,
 * while the first wave's commands are in flight. Resolves every call's duration, ms.
 */
async function twoWavesDuringStall(storage: RedisStorage): Promise<number[]> {
  await storage.create({ id: "s", metadata: { a: "1" } });
  server.pause();
  const wave = () =>
    Array.from({ length: 20 }, (_, i) =>
      timed<unknown>(
        i % 2 === 0 ? storage.load("s") : storage.update("s", { set: { b: String(i) } }),
      ),
    );
  const first = wave();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const second = wave();
  const outcomes = await Promise.all([...first, ...second]);
  for (const outcome of outcomes) expect(outcome.error).toBeInstanceOf(StorageUnavailableError);
  server.resume();
  await waitUntil(
    "Redis to answer again",
    async () => {
      await storage.ping();
      return true;
    },
    5_000,
  );
  return outcomes.map((outcome) => outcome.ms);
}

describe("the time bound during a Redis stall", () => {
  for (const enableAutoPipelining of [true, false]) {
    it(`holds for every call with auto-pipelining ${enableAutoPipelining ? "on" : "off"}`, async () => {
      const storage = new RedisStorage({
        url: server.url,
        redis: { enableAutoPipelining },
        keyPrefix: uniquePrefix("bound"),
        timeoutMs: TimeoutMs,
      });
      opened.push(storage);
      const durations = await twoWavesDuringStall(storage);
      // Auto-pipelining used to queue the second wave behind the first wave's pipeline, and
      // start its command timeout only when sent: about 1.7 s here instead of 1 s.
      expect(Math.max(...durations)).toBeLessThan(TimeoutMs + SlackMs);
      expect(Math.min(...durations)).toBeGreaterThanOrEqual(TimeoutMs - 50);
    });
  }
});
