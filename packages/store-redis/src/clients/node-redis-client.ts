import { StorageUnavailableError } from "@vmcp/session-core/storage";
import { sendWhileSettling } from "../cluster/settling-replies.js";
import { type ScriptName, Scripts, type WriteScriptName } from "../storage/scripts.js";
import type { ClusterNodes, StoreClient, StoreClientSetup } from "./store-client.js";

/**
 * The part of a node-redis (v5) client (`createClient`) the storage uses. Declared here rather
 * than imported, so the storage's types do not need the `redis` package.
 */
export interface NodeRedisClient {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  sendCommand(args: string[]): Promise<unknown>;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
}

/** The part of a node-redis (v5) Sentinel (`createSentinel`) the storage uses. */
export interface NodeRedisSentinel {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  getMasterNode(): unknown;
  sendCommand(isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
}

/** A node of a node-redis Cluster's slot map. */
interface NodeRedisClusterNode {
  readonly address: string;
}

/** The part of a node-redis (v5) Cluster (`createCluster`) the storage uses. */
export interface NodeRedisCluster {
  readonly isOpen: boolean;
  readonly slots: readonly { readonly master: NodeRedisClusterNode }[];
  readonly masters: readonly NodeRedisClusterNode[];
  readonly nodeByAddress: ReadonlyMap<string, NodeRedisClusterNode>;
  nodeClient(node: never): Promise<NodeRedisClient> | NodeRedisClient;
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
  ): Promise<unknown>;
  on(event: "error", listener: (error: Error) => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
}

/** A node-redis client, Sentinel or Cluster the application already has. */
export type NodeRedisConnection = NodeRedisClient | NodeRedisSentinel | NodeRedisCluster;

/** How often the storage looks again whether a node-redis Sentinel or Cluster is ready, ms. */
const ReadyPollMs = 20;

/**
 * The shortest time between two slot map refreshes the storage asks of a node-redis Cluster
 * after calls failed as unavailable, ms.
 */
export const ClusterRefreshIntervalMs = 500;

function isNodeRedisCluster(client: NodeRedisConnection): client is NodeRedisCluster {
  return typeof (client as NodeRedisCluster).nodeClient === "function";
}

function isNodeRedisSentinel(client: NodeRedisConnection): client is NodeRedisSentinel {
  return typeof (client as NodeRedisSentinel).getMasterNode === "function";
}

/**
 * The storage's {@link StoreClient} on a node-redis (v5) client, Sentinel or Cluster the
 * application hands in (the storage never creates or closes one). Scripts go as `EVALSHA`, and
 * as `EVAL` once when the server answers `NOSCRIPT`; node-redis itself follows Sentinel's master
 * switches and Cluster redirections (`MOVED`, `ASK`), and a Cluster call it gives up on while a
 * failover or migration settles is sent again after a pause, within the call's bound
 * (`sendWhileSettling`). The storage bounds every call with its own
 * timer, and waits for a client that is reconnecting to be ready rather than queueing on it.
 */
export class NodeRedisStoreClient implements StoreClient {
  readonly library = "node-redis";
  readonly isCluster: boolean;
  readonly selfBounded = false;
  readonly #client: NodeRedisConnection;
  readonly #send: (key: string | undefined, args: string[]) => Promise<unknown>;
  readonly #onError: (error: Error) => void;
  readonly #timeoutMs: number;
  #ready: Promise<void> | undefined;
  /** When the storage last asked a Cluster for its slot map (`performance.now()`, ms). */
  #refreshedAt = Number.NEGATIVE_INFINITY;

  /**
   * @throws {TypeError} when `setup.durability` is set: durable writes need an ioredis client.
   */
  constructor(client: NodeRedisConnection, setup: StoreClientSetup) {
    if (setup.durability !== undefined) {
      throw new TypeError(
        "RedisStorage durability needs an ioredis client; it is not supported with node-redis",
      );
    }
    if (
      typeof client !== "object" ||
      client === null ||
      typeof (client as { sendCommand?: unknown }).sendCommand !== "function"
    ) {
      throw new TypeError("client must be an ioredis or a node-redis client");
    }
    this.#client = client;
    this.#onError = setup.onError;
    this.#timeoutMs = setup.timeoutMs;
    this.isCluster = isNodeRedisCluster(client);
    if (isNodeRedisCluster(client)) {
      // node-redis follows MOVED 16 times without a pause: while a failover settles, send again
      // for as long as the call's bound allows (as the ioredis Cluster the storage makes does).
      this.#send = (key, args) =>
        sendWhileSettling(() => client.sendCommand(key, false, args), setup.timeoutMs);
    } else if (isNodeRedisSentinel(client)) {
      this.#send = (_key, args) => client.sendCommand(false, args);
    } else {
      this.#send = (_key, args) => client.sendCommand(args);
    }
    client.on("error", this.#onError);
  }

  isReady(): boolean {
    const client = this.#client;
    return isNodeRedisCluster(client) ? client.isOpen : client.isReady;
  }

  whenReady(): Promise<void> {
    if (!this.#client.isOpen) {
      return Promise.reject(
        new StorageUnavailableError(
          "the node-redis client is not open (connect() it before handing it to RedisStorage)",
        ),
      );
    }
    if (this.#ready !== undefined) return this.#ready;
    // node-redis has no 'ready' event on a Sentinel or Cluster: look again every few ms, and give
    // up after the storage's bound (the calls waiting are bounded by it too).
    const ready = new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const look = (): void => {
        if (this.isReady()) {
          resolve();
        } else if (!this.#client.isOpen || Date.now() - started >= this.#timeoutMs) {
          reject(new StorageUnavailableError("the node-redis client is not ready"));
        } else {
          setTimeout(look, ReadyPollMs).unref();
        }
      };
      look();
    });
    const settled = (): void => {
      if (this.#ready === ready) this.#ready = undefined;
    };
    ready.then(settled, settled);
    this.#ready = ready;
    return ready;
  }

  script(name: ScriptName, key: string, args: readonly string[]): Promise<unknown> {
    const send = this.#send;
    // The plain load is one HGETALL (atomic and read-only like the script): measured here at
    // 2 µs of server CPU against 7 µs for the script, for about 1 µs more in node-redis.
    if (name === "load") return send(key, ["HGETALL", key]).then(flatHash);
    const script = Scripts[name];
    return send(key, ["EVALSHA", script.sha, "1", key, ...args]).catch((error: unknown) => {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      // The server does not know the script yet (a new or restarted server): send it once.
      return send(key, ["EVAL", script.lua, "1", key, ...args]);
    });
  }

  durableWrite(name: WriteScriptName, key: string, args: readonly string[]): Promise<unknown> {
    // Never reached: the constructor refuses durability.
    return this.script(name, key, args);
  }

  async scan(cursor: string, pattern: string, count: string): Promise<[string, string[]]> {
    const reply = await this.#send(undefined, ["SCAN", cursor, "MATCH", pattern, "COUNT", count]);
    if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1])) {
      throw new StorageUnavailableError("Redis listIds failed: unexpected reply to SCAN");
    }
    return [String(reply[0]), (reply[1] as unknown[]).map(String)];
  }

  ping(): Promise<unknown> {
    return this.#send(undefined, ["PING"]);
  }

  clusterNodes(): ClusterNodes {
    const client = this.#client;
    if (!isNodeRedisCluster(client)) throw new TypeError("not a Cluster client");
    return nodeRedisClusterNodes(client);
  }

  /**
   * node-redis reads a Cluster's slot map again on `MOVED`, but not when a primary dies: its
   * slots stay routed to the dead node (every call to them fails) even after the replica was
   * promoted. So after a call failed as unavailable, the storage asks for the slot map again, at
   * most every {@link ClusterRefreshIntervalMs}.
   */
  noteUnavailable(): void {
    if (!this.isCluster) return;
    const now = performance.now();
    if (now - this.#refreshedAt < ClusterRefreshIntervalMs) return;
    this.#refreshedAt = now;
    this.clusterNodes()
      .refresh()
      .catch(() => undefined);
  }

  close(): void {
    this.#client.off("error", this.#onError);
  }
}

/**
 * A hash reply as a flat field/value array, whatever the protocol: RESP2 answers an array, RESP3
 * a map (a plain object, or a `Map` with a type mapping).
 */
function flatHash(reply: unknown): unknown {
  if (Array.isArray(reply) || reply === null || typeof reply !== "object") return reply;
  if (Buffer.isBuffer(reply)) return reply;
  if (reply instanceof Map) return [...reply].flat();
  return Object.entries(reply).flat();
}

/** {@link ClusterNodes} of a node-redis Cluster. */
function nodeRedisClusterNodes(cluster: NodeRedisCluster): ClusterNodes {
  return {
    ownerOf: (slot) => cluster.slots[slot]?.master.address,
    knows: (address) => cluster.nodeByAddress.has(address),
    evalOn: async (address, script, args) => {
      const node = cluster.nodeByAddress.get(address);
      if (node === undefined) {
        throw new StorageUnavailableError(`Redis listIds failed: no connection to node ${address}`);
      }
      const client = await cluster.nodeClient(node as never);
      return client.sendCommand(["EVAL", script, "0", ...args]);
    },
    refresh: async () => {
      // node-redis's rediscovery is not public API, so it is used only where present. It asks
      // the node it is given first (only that client's options are read), then the root nodes.
      const slots = (cluster as { _slots?: { rediscover?: (client: unknown) => Promise<void> } })
        ._slots;
      const startWith = cluster.masters
        .map((node) => (node as { client?: unknown }).client)
        .find((client) => client !== undefined);
      if (slots?.rediscover === undefined || startWith === undefined) return;
      await slots.rediscover(startWith);
    },
  };
}
