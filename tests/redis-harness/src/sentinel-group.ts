import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type HostPort,
  type RedisServer,
  spawnRedis,
  TopologyWaitMs,
  waitUntil,
} from "./redis-process.js";
import { waitForReplicaAcks } from "./replicas.js";

/** The master name the group's Sentinel monitors, unless told otherwise. */
export const DefaultMasterName = "vmcp-master";

/** Options for {@link startSentinelGroup}. */
export interface SentinelGroupOptions {
  /** The monitored master's name. Default {@link DefaultMasterName}. */
  readonly masterName?: string;
  /** How long the master must be silent before Sentinel calls it down, ms. Default 1000. */
  readonly downAfterMs?: number;
  /** Sentinel's failover timeout, ms. Default 5000. */
  readonly failoverTimeoutMs?: number;
}

/**
 * One master, one replica and one Sentinel (quorum 1), each a throwaway `redis-server` on a free
 * loopback port. Fault tests stop/kill/restart the member servers directly.
 */
export interface SentinelGroup {
  /** The name to give ioredis as `name`. */
  readonly masterName: string;
  /** The Sentinel addresses to give ioredis as `sentinels`. */
  readonly sentinels: readonly HostPort[];
  /** The server started as master (it may be a replica after a failover). */
  readonly master: RedisServer;
  /** The server started as replica (it may be the master after a failover). */
  readonly replica: RedisServer;
  /** The Sentinel process. */
  readonly sentinel: RedisServer;
  /** Asks Sentinel which server is the master now. */
  currentMaster(): Promise<HostPort>;
  /**
   * Resolves the new master once Sentinel reports one whose port differs from `previousPort`.
   * @throws {Error} after `timeoutMs` (default `TopologyWaitMs`, 45,000 ms).
   */
  waitForFailover(previousPort: number, timeoutMs?: number): Promise<HostPort>;
  /**
   * Sends `SENTINEL FAILOVER` (a manual failover: the master is alive and is demoted after the
   * switch) and resolves the new master once Sentinel reports it as master.
   * @throws {Error} after `timeoutMs` (default `TopologyWaitMs`, 45,000 ms).
   */
  failover(timeoutMs?: number): Promise<HostPort>;
  /**
   * Brings a member that was stopped or killed back as a replica of the current master (started
   * empty with `REPLICAOF` sent at once, rather than waiting for Sentinel to convert a master that
   * reappears), and resolves once it confirms the master's writes (see `waitForReplicaAcks`).
   * @throws {Error} after `timeoutMs` (default `TopologyWaitMs`, 45,000 ms).
   */
  rejoinAsReplica(server: RedisServer, timeoutMs?: number): Promise<void>;
  /** Stops every process and removes every temp directory. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a Sentinel group: a master, a replica of it (waits until it confirms writes) and a Sentinel
 * monitoring the master with quorum 1 that already knows the replica, so a failover can promote it.
 * @throws {RedisServerMissingError} when redis-server is not installed (never skips).
 */
export async function startSentinelGroup(
  options: SentinelGroupOptions = {},
): Promise<SentinelGroup> {
  const masterName = options.masterName ?? DefaultMasterName;
  const downAfterMs = options.downAfterMs ?? 1_000;
  const failoverTimeoutMs = options.failoverTimeoutMs ?? 5_000;
  const started: RedisServer[] = [];
  try {
    const master = await spawnRedis({ label: "sentinel-master" });
    started.push(master);
    const replica = await spawnRedis({
      label: "sentinel-replica",
      args: ["--replicaof", "127.0.0.1", String(master.port)],
    });
    started.push(replica);
    await waitUntil(
      "the replica's link to its master",
      async () => /master_link_status:up/.test(await replica.cli("INFO", "replication")),
      15_000,
    );
    await waitForReplicaAcks(master);
    const sentinel = await spawnRedis({
      label: "sentinel",
      sentinel: true,
      configFile: (port, dir) => {
        const file = join(dir, "sentinel.conf");
        writeFileSync(
          file,
          [
            `port ${port}`,
            "bind 127.0.0.1",
            "protected-mode no",
            `dir ${dir}`,
            `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`,
            `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
            `sentinel failover-timeout ${masterName} ${failoverTimeoutMs}`,
            `sentinel parallel-syncs ${masterName} 1`,
            "",
          ].join("\n"),
        );
        return file;
      },
    });
    started.push(sentinel);
    await waitUntil(
      "Sentinel to discover the replica",
      async () =>
        (await sentinel.cli("SENTINEL", "REPLICAS", masterName)).includes(String(replica.port)),
      15_000,
    );
    const currentMaster = async (): Promise<HostPort> => {
      const out = await sentinel.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName);
      const [host, port] = out.split("\n");
      return { host: host ?? "127.0.0.1", port: Number(port) };
    };
    const waitForFailover = async (previousPort: number, timeoutMs = TopologyWaitMs) => {
      let now: HostPort | undefined;
      await waitUntil(
        "a Sentinel failover",
        async () => {
          now = await currentMaster();
          if (now.port === previousPort) return false;
          const role = await redisRole(now.port === master.port ? master : replica);
          return role === "master";
        },
        timeoutMs,
      );
      if (now === undefined) throw new Error("no master after failover");
      return now;
    };
    return {
      masterName,
      sentinels: [{ host: sentinel.host, port: sentinel.port }],
      master,
      replica,
      sentinel,
      currentMaster,
      waitForFailover,
      async failover(timeoutMs = TopologyWaitMs) {
        const previous = await currentMaster();
        // Sentinel refuses a manual failover (NOGOODSLAVE) until it has judged the replica fit
        // from its periodic INFO, which a busy machine delays: ask until it accepts.
        await waitUntil(
          "Sentinel to accept a manual failover",
          async () => {
            const reply = await sentinel
              .cli("SENTINEL", "FAILOVER", masterName)
              .catch((error: Error) => error.message);
            return reply === "OK" || reply.includes("INPROG");
          },
          timeoutMs,
        );
        return waitForFailover(previous.port, timeoutMs);
      },
      async rejoinAsReplica(server, timeoutMs = TopologyWaitMs) {
        const now = await currentMaster();
        if (now.port === server.port) throw new Error("the current master cannot rejoin itself");
        if (!server.running) await server.restart();
        await server.cli("REPLICAOF", now.host, String(now.port));
        await waitUntil(
          "the rejoined replica's link to its master",
          async () => /master_link_status:up/.test(await server.cli("INFO", "replication")),
          timeoutMs,
        );
        await waitForReplicaAcks(now.port === master.port ? master : replica, 1, timeoutMs);
      },
      async close() {
        await Promise.all(started.map((server) => server.close()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((server) => server.close()));
    throw error;
  }
}

async function redisRole(server: RedisServer): Promise<string> {
  return (await server.cli("ROLE")).split("\n")[0] ?? "";
}
