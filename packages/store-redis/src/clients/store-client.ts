import type { ResolvedDurability } from "../storage/durability.js";
import type { ScriptName, WriteScriptName } from "../storage/scripts.js";

/**
 * What a Cluster walk (`listIds` on a Cluster) needs from the client: the slot map, a way to run
 * a read-only script on one node, and a slot map refresh.
 */
export interface ClusterNodes {
  /** The address (`host:port`) of the primary that owns `slot` in the client's map, if known. */
  ownerOf(slot: number): string | undefined;
  /**
   * Runs `script` (no keys) on the node at `address` (as `CLUSTER NODES` names it), or throws
   * `StorageUnavailableError` when the client has no connection to such a node.
   */
  evalOn(address: string, script: string, args: readonly string[]): Promise<unknown>;
  /** Whether the client knows a node at `address`. */
  knows(address: string): boolean;
  /** Asks the client to read the slot map again; resolves when done (rejects on failure). */
  refresh(): Promise<void>;
}

/**
 * The one interface between the storage and a Redis client library (ioredis or node-redis), so
 * the storage logic (bounds, typed errors, durability, listing) is written once. Every method
 * may reject with the library's own error; the storage maps it.
 */
export interface StoreClient {
  /** The client library, for messages: `"ioredis"` or `"node-redis"`. */
  readonly library: "ioredis" | "node-redis";
  /** Whether the client is a Redis Cluster client. */
  readonly isCluster: boolean;
  /**
   * Whether each command is already bounded by the client itself (a standalone or Sentinel
   * ioredis client the storage built: command timeout, no offline queue, no resend), so the
   * storage needs no timer of its own while the client is ready.
   */
  readonly selfBounded: boolean;
  /** Whether commands can be sent now. */
  isReady(): boolean;
  /**
   * Resolves when the client is ready (connecting it when it waits to be); rejects when it has
   * ended for good. The caller bounds the wait.
   */
  whenReady(): Promise<void>;
  /** Runs one of the storage's scripts on `key` (`EVALSHA`, loading the script when needed). */
  script(name: ScriptName, key: string, args: readonly string[]): Promise<unknown>;
  /**
   * Runs a write script followed by `WAIT` on the same connection and resolves its reply once
   * `durability.replicas` replicas confirmed it.
   * @throws {WriteNotReplicatedError} when fewer confirmed it.
   */
  durableWrite(
    name: WriteScriptName,
    key: string,
    args: readonly string[],
    operation: string,
    sessionId: string,
  ): Promise<unknown>;
  /** One `SCAN` step on a standalone or Sentinel server: the next cursor and the keys. */
  scan(cursor: string, pattern: string, count: string): Promise<[string, string[]]>;
  /** `PING`. */
  ping(): Promise<unknown>;
  /** The Cluster's nodes for listing (Cluster clients only). */
  clusterNodes(): ClusterNodes;
  /**
   * Told when a call failed as unavailable (timed out, or lost its connection), so a client that
   * does not notice a dead node by itself can look at the topology again.
   */
  noteUnavailable(): void;
  /** Releases what the storage set up on the client, and closes it when the storage owns it. */
  close(): void;
}

/** What every client adapter is built with. */
export interface StoreClientSetup {
  /** Every connection error the client reports (named in timeout messages). */
  readonly onError: (error: Error) => void;
  /** The storage's bound on every call, ms. */
  readonly timeoutMs: number;
  /** Write durability, or `undefined` when off. */
  readonly durability: ResolvedDurability | undefined;
}
