import { execFile } from "node:child_process";
import type { RedisCluster } from "./cluster.js";
import { type RedisServer, TopologyWaitMs, waitUntil } from "./redis-process.js";
import { requireRedisServer } from "./require-redis.js";

/** One node of a Cluster as `CLUSTER NODES` describes it. */
export interface ClusterNodeInfo {
  /** The 40-character node ID. */
  readonly id: string;
  /** The node's TCP port (loopback). */
  readonly port: number;
  /** `primary` or `replica`, as the asked node sees it now. */
  readonly role: "primary" | "replica";
  /** For a replica, the ID of its primary. */
  readonly primaryId: string | undefined;
  /** The slot ranges a primary serves, inclusive `[first, last]`. */
  readonly slots: readonly (readonly [number, number])[];
  /** Whether the asked node flags it `fail` or `fail?`. */
  readonly failing: boolean;
  /** The harness server behind it, when it is one of the cluster's servers. */
  readonly server: RedisServer | undefined;
}

/**
 * The topology as one running node sees it (`CLUSTER NODES`), by default the first running
 * server of the cluster.
 * @throws {Error} when no server runs or the call fails.
 */
export async function clusterTopology(
  cluster: RedisCluster,
  via?: RedisServer,
): Promise<ClusterNodeInfo[]> {
  const asked = via ?? cluster.servers.find((server) => server.running);
  if (asked === undefined) throw new Error("no cluster server is running");
  const text = await asked.cli("CLUSTER", "NODES");
  const nodes: ClusterNodeInfo[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(" ");
    const [id, address, flags, primary] = fields;
    if (id === undefined || address === undefined || flags === undefined) continue;
    const port = Number(address.split("@")[0]?.split(":").pop());
    const flagSet = new Set(flags.split(","));
    const slots: [number, number][] = [];
    for (const field of fields.slice(8)) {
      if (field.startsWith("[")) continue; // a migrating/importing marker, not an owned range
      const [first, last] = field.split("-").map(Number);
      if (first !== undefined && Number.isInteger(first)) slots.push([first, last ?? first]);
    }
    nodes.push({
      id,
      port,
      role: flagSet.has("master") ? "primary" : "replica",
      primaryId: primary === undefined || primary === "-" ? undefined : primary,
      slots,
      failing: flagSet.has("fail") || flagSet.has("fail?"),
      server: cluster.servers.find((server) => server.port === port),
    });
  }
  return nodes;
}

/** The live primaries (serving at least one slot), in the order of the cluster's servers. */
export async function clusterPrimaries(cluster: RedisCluster): Promise<ClusterNodeInfo[]> {
  const nodes = await clusterTopology(cluster);
  return nodes
    .filter((node) => node.role === "primary" && !node.failing && node.slots.length > 0)
    .sort((a, b) => a.port - b.port);
}

/** The replica of `primary`, as the cluster sees it now. */
export async function replicaOf(
  cluster: RedisCluster,
  primary: ClusterNodeInfo,
): Promise<ClusterNodeInfo> {
  const nodes = await clusterTopology(cluster);
  const replica = nodes.find((node) => node.role === "replica" && node.primaryId === primary.id);
  if (replica === undefined) throw new Error(`primary ${primary.port} has no replica`);
  return replica;
}

/** What {@link reshard} moves. */
export interface ReshardOptions {
  /**
   * The node ID slots leave. If that node has become a replica by the time the reshard starts
   * (an automatic failover on a starved machine), its primary is used: the same shard.
   */
  readonly from: string;
  /** The node ID slots go to; followed to its primary like {@link ReshardOptions.from}. */
  readonly to: string;
  /** How many slots move. */
  readonly slots: number;
  /** Keys per MIGRATE (`--cluster-pipeline`). Default 10 (redis-cli's own default). */
  readonly pipeline?: number;
  /** Bound on the whole reshard, ms. Default 120,000. */
  readonly timeoutMs?: number;
}

/** How many times {@link reshard} starts redis-cli again after it refused to begin. */
const ReshardStarts = 5;

/**
 * Moves `slots` slots with their keys from one primary to another with
 * `redis-cli --cluster reshard ... --cluster-yes` (the operator's tool), keys and all, while the
 * cluster keeps serving. Resolves when redis-cli has finished.
 *
 * redis-cli refuses to begin while the nodes disagree about the slot map ("Please fix your
 * cluster problems"), which on a busy machine happens for a while after any topology change:
 * the reshard then waits for agreement and starts again, up to 5 times. Nothing has moved when
 * it refuses, so starting again is safe.
 * @throws {Error} with redis-cli's output when it fails or runs over its bound.
 */
export async function reshard(cluster: RedisCluster, options: ReshardOptions): Promise<void> {
  const deadline = performance.now() + (options.timeoutMs ?? 120_000);
  for (let start = 1; ; start++) {
    await waitForAgreement(cluster, Math.max(1, deadline - performance.now()));
    const from = await shardPrimaryId(cluster, options.from);
    const to = await shardPrimaryId(cluster, options.to);
    const outcome = await runReshard(cluster, { ...options, from, to }, deadline);
    if (outcome.ok) return;
    const refusedToBegin = outcome.output.includes("Please fix your cluster problems");
    if (!refusedToBegin || start >= ReshardStarts || performance.now() >= deadline) {
      throw new Error(`redis-cli --cluster reshard failed:\n${outcome.output}`, {
        cause: outcome.error,
      });
    }
  }
}

/** The ID of the primary of node `id`'s shard: `id` itself, or its primary if it is a replica. */
async function shardPrimaryId(cluster: RedisCluster, id: string): Promise<string> {
  const node = (await clusterTopology(cluster)).find((candidate) => candidate.id === id);
  return node?.role === "replica" && node.primaryId !== undefined ? node.primaryId : id;
}

function runReshard(
  cluster: RedisCluster,
  options: ReshardOptions,
  deadline: number,
): Promise<{ ok: boolean; output: string; error: Error | null }> {
  const entry = cluster.servers.find((server) => server.running);
  if (entry === undefined) return Promise.reject(new Error("no cluster server is running"));
  const { redisCli } = requireRedisServer();
  const args = [
    "--cluster",
    "reshard",
    `127.0.0.1:${entry.port}`,
    "--cluster-from",
    options.from,
    "--cluster-to",
    options.to,
    "--cluster-slots",
    String(options.slots),
    "--cluster-pipeline",
    String(options.pipeline ?? 10),
    "--cluster-yes",
  ];
  const timeout = Math.max(1, Math.round(deadline - performance.now()));
  return new Promise((resolve) => {
    execFile(
      redisCli,
      args,
      { encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const failed = error !== null || /\[ERR\]/.test(stdout);
        resolve({ ok: !failed, output: `${stdout.slice(-4_000)}\n${stderr}`, error });
      },
    );
  });
}

/** A slot halfway through a hand-driven migration: see {@link beginSlotMigration}. */
export interface SlotMigration {
  /** The slot being moved. */
  readonly slot: number;
  /** Moves up to `count` of the slot's keys still on the source (MIGRATE); resolves how many moved. */
  moveKeys(count?: number): Promise<number>;
  /** Moves every remaining key and assigns the slot to the target on every primary. */
  finish(): Promise<void>;
}

/**
 * Starts moving `slot` from `source` to `target` by hand, as redis-cli does it, and stops
 * halfway: the target is IMPORTING, the source MIGRATING, no key moved yet. A client now gets
 * `ASK` for keys already moved and, after {@link SlotMigration.finish}, `MOVED` everywhere.
 */
export async function beginSlotMigration(
  cluster: RedisCluster,
  slot: number,
  source: ClusterNodeInfo,
  target: ClusterNodeInfo,
): Promise<SlotMigration> {
  const from = serverOf(source);
  const to = serverOf(target);
  await to.cli("CLUSTER", "SETSLOT", String(slot), "IMPORTING", source.id);
  await from.cli("CLUSTER", "SETSLOT", String(slot), "MIGRATING", target.id);
  const moveKeys = async (count = 100): Promise<number> => {
    const listed = await from.cli("CLUSTER", "GETKEYSINSLOT", String(slot), String(count));
    const keys = listed.split("\n").filter((key) => key.length > 0);
    if (keys.length === 0) return 0;
    await from.cli("MIGRATE", "127.0.0.1", String(to.port), "", "0", "5000", "KEYS", ...keys);
    return keys.length;
  };
  return {
    slot,
    moveKeys,
    async finish() {
      while ((await moveKeys()) > 0) {
        // keep moving until the source holds none of the slot's keys
      }
      await to.cli("CLUSTER", "SETSLOT", String(slot), "NODE", target.id);
      await from.cli("CLUSTER", "SETSLOT", String(slot), "NODE", target.id);
      const primaries = await clusterPrimaries(cluster);
      for (const primary of primaries) {
        if (primary.id === source.id || primary.id === target.id) continue;
        await serverOf(primary).cli("CLUSTER", "SETSLOT", String(slot), "NODE", target.id);
      }
    },
  };
}

/**
 * How long a `CLUSTER FAILOVER` is given before it is asked for again, ms. Redis aborts a manual
 * failover that has not completed within 5 s (its `CLUSTER_MF_TIMEOUT`), which a starved machine
 * can cause: the replica then stays a replica and nothing else would promote it.
 */
const ManualFailoverRetryMs = 10_000;

/**
 * Promotes `replica` with `CLUSTER FAILOVER` (the coordinated, lossless manual failover) and
 * resolves once every running node sees it as a primary, reports `cluster_state:ok`, and sees
 * the former primary as a replica (or failing). A failover Redis aborted is asked for again
 * while the replica still calls itself one.
 */
export async function manualFailover(
  cluster: RedisCluster,
  replica: ClusterNodeInfo,
  timeoutMs = TopologyWaitMs,
): Promise<void> {
  const server = serverOf(replica);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const role = (await server.cli("ROLE")).split("\n")[0]?.trim();
    if (role !== "master") await server.cli("CLUSTER", "FAILOVER");
    const left = deadline - Date.now();
    try {
      await waitForPrimary(cluster, replica.id, Math.max(0, Math.min(ManualFailoverRetryMs, left)));
      break;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
  }
  const former = replica.primaryId;
  if (former === undefined) return;
  // The promotion is seen before the demotion: wait until every running node also sees the
  // former primary as a replica, so the failover is complete when this resolves.
  await waitUntil(
    `node ${former} to be a replica on every running node`,
    async () => {
      for (const server of cluster.servers) {
        if (!server.running) continue;
        const node = (await clusterTopology(cluster, server)).find((n) => n.id === former);
        if (node !== undefined && node.role !== "replica" && !node.failing) return false;
      }
      return true;
    },
    timeoutMs,
  );
}

/**
 * Resolves once every running node sees node `id` as a primary serving slots, and the cluster is
 * ok: after a manual failover, or the automatic promotion of a dead primary's replica.
 */
export async function waitForPrimary(
  cluster: RedisCluster,
  id: string,
  timeoutMs = TopologyWaitMs,
): Promise<void> {
  await waitUntil(
    `node ${id} to be a primary on every running node`,
    async () => {
      for (const server of cluster.servers) {
        if (!server.running) continue;
        const nodes = await clusterTopology(cluster, server);
        const node = nodes.find((candidate) => candidate.id === id);
        if (node?.role !== "primary" || node.slots.length === 0) return false;
        const info = await server.cli("CLUSTER", "INFO");
        if (!info.includes("cluster_state:ok")) return false;
      }
      return true;
    },
    timeoutMs,
  );
}

function serverOf(node: ClusterNodeInfo): RedisServer {
  if (node.server === undefined) throw new Error(`node ${node.id} is not a harness server`);
  return node.server;
}

/**
 * Resolves once `redis-cli --cluster check` passes: every node agrees on the slot configuration,
 * every slot is covered and no slot is left open (migrating or importing). Needed before a
 * reshard, which refuses to start otherwise.
 */
export async function waitForAgreement(
  cluster: RedisCluster,
  timeoutMs = TopologyWaitMs,
): Promise<void> {
  const { redisCli } = requireRedisServer();
  await waitUntil(
    "redis-cli --cluster check to pass",
    async () => {
      const entry = cluster.servers.find((server) => server.running);
      if (entry === undefined) return false;
      const output = await new Promise<string>((resolve) => {
        execFile(
          redisCli,
          ["--cluster", "check", `127.0.0.1:${entry.port}`],
          { encoding: "utf8", timeout: 10_000 },
          (_error, stdout) => resolve(stdout),
        );
      });
      const agreed =
        output.includes("[OK] All nodes agree about slots configuration.") &&
        output.includes("[OK] All 16384 slots covered.") &&
        !output.includes("[WARNING]") &&
        !output.includes("[ERR]");
      if (agreed) return true;
      // "Not yet", with what the check complained of: the timeout's cause says why.
      const complaints = output.split("\n").filter((line) => /\[(WARNING|ERR)\]/.test(line));
      throw new Error(`redis-cli --cluster check: ${complaints.slice(0, 5).join(" | ") || output}`);
    },
    timeoutMs,
  );
}
