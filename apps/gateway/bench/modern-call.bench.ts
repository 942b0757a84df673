/**
 * `pnpm bench` (issue 20): a 2026-07-28 `tools/call` through one gateway against calling the
 * modern backend directly, with SDK v2 clients pinned to 2026-07-28 (`versionNegotiation:
 * { mode: { pin } }`). Each call through the gateway is classified at the POST edge, served by
 * the SDK's modern handler and relayed through an SDK v2 client made for that call
 * (`connect({ prior })`, no round trip but the call). Every server is its own process on loopback
 * (the backend: `modern-backend-process.ts`, a modern-only `createMcpHandler`). Prints a ratio
 * table (aim: throughput ratio >= 0.6). `BENCH_MODERN_OPS` (calls per run, default 3000),
 * `BENCH_MODERN_CLIENTS` (concurrent clients, default 32) and `BENCH_ROUNDS` (alternating rounds,
 * default 3) change the size.
 */
import { compareWithDirect } from "./v2-clients.js";

const Clients = Number(process.env.BENCH_MODERN_CLIENTS ?? 32);
const Ops = Number(process.env.BENCH_MODERN_OPS ?? 3000);
const Rounds = Number(process.env.BENCH_ROUNDS ?? 3);

await compareWithDirect({
  tool: "add",
  gatewayEra: "modern",
  clients: Clients,
  ops: Ops,
  rounds: Rounds,
  headline: `2026-07-28 tools/call "add", ${Clients} concurrent SDK v2 clients, ${Ops} calls per run, medians of ${Rounds} alternating rounds`,
  label: "1 gateway, memory",
  title: "2026-07-28 tools/call through the gateway vs the modern backend directly",
  throughputAtLeast: 0.6,
});
