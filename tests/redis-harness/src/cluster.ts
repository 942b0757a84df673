import { execFile } from "node:child_process";
import {
  type HostPort,
  type RedisServer,
  spawnRedis,
  TopologyWaitMs,
  waitUntil,
} from "./redis-process.js";
import { requireRedisServer } from "./require-redis.js";

/**
 * The default `cluster-node-timeout`, ms: 3,000. Below about that, a node starved of CPU on a
 * busy 2-core machine is failed over by the cluster on its own, and a test that counts on the
 * topology it set up (a reshard, a manual failover) finds a primary demoted under it.
 */
export const DefaultNodeTimeoutMs = 3_000;

/** Options for {@link startRedisCluster}. */
export interface ClusterOptions {
  /** How many primaries share the 16384 slots; at least 3 (Redis's minimum). Default 3. */
  readonly primaries?: number;
  /** Replicas per primary. Default 0. */
  readonly replicasPerPrimary?: number;
  /** `cluster-node-timeout`, ms. Default {@link DefaultNodeTimeoutMs} (3000). */
  readonly nodeTimeoutMs?: number;
  /**
   * `cluster-require-full-coverage`: with `false`, the nodes keep serving their slots while
   * another primary's slots are uncovered. Default `true` (Redis's default).
   */
  readonly requireFullCoverage?: boolean;
}

/** A throwaway Redis Cluster on loopback ports. Fault tests stop/kill/restart member servers. */
export interface RedisCluster {
  /** Every node's address (primaries first), to give ioredis's `Cluster` as its startup nodes. */
  readonly nodes: readonly HostPort[];
  /** Every node's server, in the order of {@link nodes}. */
  readonly servers: readonly RedisServer[];
  /** Resolves once every running node reports `cluster_state:ok` (default bound `TopologyWaitMs`, 45,000 ms). */
  waitForOk(timeoutMs?: number): Promise<void>;
  /** Stops every process and removes every temp directory. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts `primaries × (1 + replicasPerPrimary)` cluster-enabled `redis-server`s, joins them with
 * `redis-cli --cluster create ... --cluster-yes`, and resolves once every node reports
 * `cluster_state:ok` and sees every replica as one.
 * @throws {RedisServerMissingError} when redis-server is not installed (never skips).
 */
export async function startRedisCluster(options: ClusterOptions = {}): Promise<RedisCluster> {
  const primaries = options.primaries ?? 3;
  const replicas = options.replicasPerPrimary ?? 0;
  if (!Number.isInteger(primaries) || primaries < 3) {
    throw new RangeError(`a Redis Cluster needs at least 3 primaries, got ${primaries}`);
  }
  const nodeTimeout = String(options.nodeTimeoutMs ?? DefaultNodeTimeoutMs);
  const total = primaries * (1 + replicas);
  const servers: RedisServer[] = [];
  try {
    const spawned = await Promise.allSettled(
      Array.from({ length: total }, () =>
        spawnRedis({
          label: "cluster",
          args: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            nodeTimeout,
            "--cluster-require-full-coverage",
            options.requireFullCoverage === false ? "no" : "yes",
          ],
        }),
      ),
    );
    for (const result of spawned) {
      if (result.status === "fulfilled") servers.push(result.value);
    }
    for (const result of spawned) if (result.status === "rejected") throw result.reason;
    await clusterCreate(
      servers.map((server) => `127.0.0.1:${server.port}`),
      replicas,
    );
    const waitForOk = async (timeoutMs = TopologyWaitMs): Promise<void> => {
      await waitUntil(
        "cluster_state:ok on every node",
        async () => {
          for (const server of servers) {
            if (!server.running) continue;
            const info = await server.cli("CLUSTER", "INFO");
            if (!info.includes("cluster_state:ok")) return false;
            if (!info.includes(`cluster_known_nodes:${total}`)) return false;
          }
          return true;
        },
        timeoutMs,
      );
    };
    await waitForOk();
    // `cluster_state:ok` comes before every node has heard which nodes are replicas: until then
    // a node shows a replica as an empty primary (more so the longer the node timeout, which
    // paces gossip), and a test asking for a primary's replica finds none.
    await waitUntil(
      `${primaries} primaries and ${total - primaries} replicas seen by every node`,
      async () => {
        for (const server of servers) {
          const lines = (await server.cli("CLUSTER", "NODES")).split("\n").filter(Boolean);
          const flags = lines.map((line) => line.split(" ")[2] ?? "");
          const seenReplicas = flags.filter((f) => f.split(",").includes("slave")).length;
          const seenPrimaries = flags.filter((f) => f.split(",").includes("master")).length;
          if (seenReplicas !== total - primaries || seenPrimaries !== primaries) return false;
        }
        return true;
      },
      TopologyWaitMs,
    );
    return {
      nodes: servers.map((server) => ({ host: server.host, port: server.port })),
      servers,
      waitForOk,
      async close() {
        await Promise.all(servers.map((server) => server.close()));
      },
    };
  } catch (error) {
    await Promise.all(servers.map((server) => server.close()));
    throw error;
  }
}

function clusterCreate(addresses: readonly string[], replicas: number): Promise<void> {
  const { redisCli } = requireRedisServer();
  return new Promise((resolve, reject) => {
    execFile(
      redisCli,
      [
        "--cluster",
        "create",
        ...addresses,
        "--cluster-replicas",
        String(replicas),
        "--cluster-yes",
      ],
      { encoding: "utf8", timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error !== null || !stdout.includes("All 16384 slots covered")) {
          reject(
            new Error(`redis-cli --cluster create failed:\n${stdout}\n${stderr}`, { cause: error }),
          );
        } else {
          resolve();
        }
      },
    );
  });
}
