import { StorageUnavailableError } from "@vmcp/session-core/storage";
import type { Cluster, Redis } from "ioredis";
import { isCluster, refreshSlots } from "../cluster/ioredis-cluster.js";
import { followRedirects } from "../cluster/redirects.js";
import { DurableWriter } from "../storage/durability.js";
import { type ScriptName, Scripts, type WriteScriptName } from "../storage/scripts.js";
import { WriteCoalescer } from "../storage/write-coalescing.js";
import { configuredDatabase, RedisDatabaseError, selectRefusal } from "./database-select.js";
import { reviveOnEnd } from "./revive.js";
import type { ClusterNodes, StoreClient, StoreClientSetup } from "./store-client.js";

/** The script commands defined on the ioredis client (one EVALSHA each), by script. */
const CommandNames = {
  create: "vmcpSessionCreate",
  update: "vmcpSessionUpdate",
  load: "vmcpSessionLoad",
  loadSlide: "vmcpSessionLoadSlide",
  touch: "vmcpSessionTouch",
  delete: "vmcpSessionDelete",
} as const satisfies Record<ScriptName, string>;

type ScriptFunction = (key: string, ...args: string[]) => Promise<unknown>;

/** Whether `client` is an ioredis `Redis` or `Cluster` (not a node-redis client). */
export function isIoredisClient(client: unknown): client is Redis | Cluster {
  return (
    typeof client === "object" &&
    client !== null &&
    typeof (client as { defineCommand?: unknown }).defineCommand === "function"
  );
}

/**
 * The storage's {@link StoreClient} on ioredis: standalone, Sentinel or Cluster, created by the
 * storage (`owned`) or handed in.
 */
export class IoredisStoreClient implements StoreClient {
  readonly library = "ioredis";
  readonly isCluster: boolean;
  readonly selfBounded: boolean;
  readonly #client: Redis | Cluster;
  readonly #owned: boolean;
  readonly #onError: (error: Error) => void;
  /** WAIT after each write, or `undefined` (durability off). */
  readonly #durable: DurableWriter | undefined;
  /**
   * The connection of the durable writes when the storage owns a standalone or Sentinel client:
   * a `WAIT` blocks its connection, so loads must not queue behind it.
   */
  readonly #writer: Redis | undefined;
  /** Stops reconnecting the owned standalone or Sentinel clients after an unexpected `end`. */
  readonly #stopReviving: Array<() => void> = [];
  /** Sends the commands of one event-loop turn a few per socket write. */
  readonly #coalescer = new WriteCoalescer();
  #ready: Promise<void> | undefined;
  /** Rejects the callers waiting in {@link whenReady}. */
  #rejectReady: ((error: Error) => void) | undefined;
  /** Set for good once Redis refused the configured database (see {@link RedisDatabaseError}). */
  #refused: RedisDatabaseError | undefined;

  constructor(client: Redis | Cluster, owned: boolean, setup: StoreClientSetup) {
    this.#client = client;
    this.#owned = owned;
    this.#onError = setup.onError;
    this.isCluster = isCluster(client);
    // Auto-pipelining queues a command behind the pipeline in flight, and its command timeout
    // starts only when it is sent: a stall would take up to twice the bound. Time those calls
    // from the moment they are made instead; durable writes too (they may wait for their own
    // connection).
    this.selfBounded =
      owned &&
      !isCluster(client) &&
      client.options.enableAutoPipelining !== true &&
      setup.durability === undefined;
    client.on("error", this.#onError);
    if (owned && !isCluster(client)) {
      this.#stopReviving.push(reviveOnEnd(client));
      if (setup.durability !== undefined) {
        this.#writer = client.duplicate();
        this.#writer.on("error", this.#onError);
        this.#stopReviving.push(reviveOnEnd(this.#writer));
      }
      this.#watchSelect(client);
      if (this.#writer !== undefined) this.#watchSelect(this.#writer);
    }
    this.#durable =
      setup.durability === undefined
        ? undefined
        : new DurableWriter(this.#writer ?? client, setup.durability, setup.timeoutMs);
    for (const name of Object.keys(CommandNames) as ScriptName[]) {
      // Not marked read-only: a Cluster client reading from replicas could miss a fresh write.
      client.defineCommand(CommandNames[name], { numberOfKeys: 1, lua: Scripts[name].lua });
    }
    if (isCluster(client)) followRedirects(client, Object.values(CommandNames));
  }

  isReady(): boolean {
    return this.#refused === undefined && this.#client.status === "ready";
  }

  whenReady(): Promise<void> {
    const client = this.#client;
    if (this.#refused !== undefined) return Promise.reject(this.#refused);
    if ((client.status === "end" || client.status === "close") && this.#owned) {
      return Promise.reject(new StorageUnavailableError("the Redis connection has ended"));
    }
    if (this.#ready === undefined) {
      this.#ready = new Promise<void>((resolve, reject) => {
        this.#rejectReady = reject;
        client.once("ready", () => {
          this.#ready = undefined;
          this.#rejectReady = undefined;
          if (this.#refused === undefined) resolve();
          else reject(this.#refused);
        });
      });
      if (client.status === "wait") client.connect().catch(() => undefined);
    }
    return this.#ready;
  }

  script(name: ScriptName, key: string, args: readonly string[]): Promise<unknown> {
    this.#holdWrites();
    const client = this.#client as unknown as Record<string, ScriptFunction>;
    // The hot path: load sends no arguments, and each call site stays monomorphic.
    if (name === "load") return (client.vmcpSessionLoad as ScriptFunction).call(this.#client, key);
    return (client[CommandNames[name]] as ScriptFunction).call(this.#client, key, ...args);
  }

  durableWrite(
    name: WriteScriptName,
    key: string,
    args: readonly string[],
    operation: string,
    sessionId: string,
  ): Promise<unknown> {
    if (this.#durable === undefined) return this.script(name, key, args);
    return this.#durable.write(Scripts[name], key, args, operation, sessionId);
  }

  scan(cursor: string, pattern: string, count: string): Promise<[string, string[]]> {
    return (this.#client as Redis).scan(cursor, "MATCH", pattern, "COUNT", count);
  }

  ping(): Promise<unknown> {
    return this.#client.ping();
  }

  clusterNodes(): ClusterNodes {
    if (!isCluster(this.#client)) throw new TypeError("not a Cluster client");
    return ioredisClusterNodes(this.#client);
  }

  noteUnavailable(): void {
    // ioredis refreshes a Cluster's slot map itself when a node's connection closes.
  }

  close(): void {
    for (const stop of this.#stopReviving) stop();
    this.#writer?.disconnect();
    if (this.#owned) {
      // disconnect() drops the socket and every reconnection timer at once; our error listener
      // stays, so a late socket error on the dead client cannot crash the process.
      this.#client.disconnect();
    } else {
      this.#client.off("error", this.#onError);
    }
  }

  /**
   * Stops the storage for good when Redis refuses the `SELECT` of the configured database on
   * `connection` (ioredis would go on in database 0): closes the owned connections, so nothing is
   * ever written to another database, and fails every waiting and later call.
   */
  #watchSelect(connection: Redis): void {
    const database = configuredDatabase(connection.options);
    if (database === 0) return;
    connection.on("error", (error: Error) => {
      const reply = selectRefusal(error);
      if (reply === undefined || this.#refused !== undefined) return;
      this.#refused = new RedisDatabaseError(database, reply, { cause: error });
      for (const stop of this.#stopReviving) stop();
      this.#writer?.disconnect();
      (this.#client as Redis).disconnect();
      this.#rejectReady?.(this.#refused);
      this.#rejectReady = undefined;
      this.#ready = undefined;
    });
  }

  /**
   * Holds a standalone or Sentinel client's socket writes for the rest of this turn, so the
   * commands of many callers leave a few at a time (see {@link WriteCoalescer}). A Cluster
   * client writes to one socket per node and is left as it is (its auto-pipelining batches).
   */
  #holdWrites(): void {
    const client = this.#client;
    if (!isCluster(client) && client.status === "ready") this.#coalescer.hold(client.stream);
  }
}

/** {@link ClusterNodes} of an ioredis Cluster. */
function ioredisClusterNodes(cluster: Cluster): ClusterNodes {
  /** The client's connection to `address`, mapped through the client's `natMap` if any. */
  const nodeAt = (address: string): Redis | undefined => {
    const natMap = cluster.options.natMap;
    const mapped = typeof natMap === "function" ? natMap(address) : natMap?.[address];
    const key = mapped === undefined || mapped === null ? address : `${mapped.host}:${mapped.port}`;
    return cluster.nodes("all").find((node) => `${node.options.host}:${node.options.port}` === key);
  };
  return {
    ownerOf: (slot) => cluster.slots[slot]?.[0],
    knows: (address) => nodeAt(address) !== undefined,
    evalOn: (address, script, args) => {
      const node = nodeAt(address);
      if (node === undefined) {
        return Promise.reject(
          new StorageUnavailableError(`Redis listIds failed: no connection to node ${address}`),
        );
      }
      return node.eval(script, 0, ...args);
    },
    refresh: () => refreshSlots(cluster),
  };
}
