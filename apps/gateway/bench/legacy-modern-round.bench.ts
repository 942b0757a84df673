/**
 * `pnpm bench` (issue 21, part 3): a 2025-era client's `tools/call` to a modern-only backend that
 * answers `input_required` once, through one gateway, against a 2026-07-28 client doing the same
 * round directly with the backend. Both clients are SDK v2 with the same elicitation handler:
 * through the gateway one speaks 2025-11-25 (`versionNegotiation: { mode: "legacy" }`: a
 * session, and the gateway's `elicitation/create` on the call's response stream, answered with a
 * POST), directly one is pinned to 2026-07-28 and its own `inputRequired.autoFulfill` driver
 * answers the round and retries. Each call is two backend requests either way. Every server is
 * its own process on loopback (the backend: `modern-backend-process.ts`, its `add_confirmed` tool). Prints a ratio
 * table (aim: throughput ratio >= 0.3: the gateway adds a hop for each backend request and the
 * client's answer). `BENCH_ROUND_OPS` (calls per run, default 1000), `BENCH_ROUND_CLIENTS`
 * (concurrent clients, default 16) and `BENCH_ROUNDS` (alternating rounds, default 3) change the
 * size; `BENCH_ROUND_STORE=redis` puts the gateway's sessions on a throwaway Redis (default
 * `memory`), where each store read is a round trip.
 */
import { startRedisServer } from "@vmcp/redis-harness";
import { compareWithDirect } from "./v2-clients.js";

const Clients = Number(process.env.BENCH_ROUND_CLIENTS ?? 16);
const Ops = Number(process.env.BENCH_ROUND_OPS ?? 1000);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const Store = process.env.BENCH_ROUND_STORE === "redis" ? "redis" : "memory";

const redis = Store === "redis" ? await startRedisServer() : undefined;
try {
  await compareWithDirect({
    tool: "add_confirmed",
    gatewayEra: "legacy",
    acceptsElicitation: true,
    clients: Clients,
    ops: Ops,
    rounds: Rounds,
    headline: `tools/call with one input_required round (an elicitation), ${Clients} concurrent SDK v2 clients, ${Ops} calls per run, medians of ${Rounds} alternating rounds`,
    label: `2025-era client via 1 gateway, ${Store}`,
    title:
      "A 2025-era client to a modern backend with one input round, through the gateway vs a 2026-07-28 client directly",
    throughputAtLeast: 0.3,
    gatewayArgs: redis === undefined ? [] : ["--store", "redis", "--redis-url", redis.url],
  });
} finally {
  await redis?.close();
}
