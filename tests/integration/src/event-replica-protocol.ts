/**
 * What the test process and an event replica process (`event-replica-process.ts`) say to each
 * other over the IPC channel of `fork`.
 */

/** How a replica reaches Redis: a standalone server's URL, or a Cluster's startup nodes. */
export type ReplicaRedis =
  | { readonly url: string }
  | { readonly cluster: ReadonlyArray<{ readonly host: string; readonly port: number }> };

/** A replica's configuration, passed as JSON in `argv[2]`. */
export interface ReplicaConfig {
  /** Its name: what its `replica` tool answers, and the prefix of its log lines. */
  readonly name: string;
  readonly redis: ReplicaRedis;
  /** The bus's key prefix (`RedisMessageBus`'s `keyPrefix`). */
  readonly keyPrefix: string;
  /** `createMcpHandler`'s `maxSubscriptions`; absent: the SDK's default. */
  readonly maxSubscriptions?: number;
  /** `createMcpHandler`'s `keepAliveMs`; absent: the SDK's default. */
  readonly keepAliveMs?: number;
  /** The adapter's `probeIntervalMs`; absent: its default. */
  readonly probeIntervalMs?: number;
}

/** The `handler.notify` calls a test can make. */
export type NotifyCall =
  | { readonly method: "toolsChanged" | "promptsChanged" | "resourcesChanged" }
  | { readonly method: "resourceUpdated"; readonly uri: string };

/** Test → replica. */
export type ReplicaCommand =
  | ({ readonly id: number; readonly op: "notify" } & NotifyCall)
  /** Publishes `tools_list_changed` with `params._meta["dev.vmcp/sentNs"]`: `process.hrtime.bigint()` now. */
  | { readonly id: number; readonly op: "stamped" }
  | { readonly id: number; readonly op: "close" };

/** What a replica reports: an error from the adapter's `onError` or the handler's `onerror`. */
export interface ReplicaError {
  readonly from: "events" | "handler";
  readonly name: string;
  readonly code: string | undefined;
  readonly message: string;
  /** The event it concerns, as `kind` or `kind uri` (the adapter's second `onError` argument). */
  readonly about: string | undefined;
}

/** Replica → test. */
export type ReplicaMessage =
  | { readonly ready: { readonly url: string; readonly sourceId: string } }
  | { readonly reply: number }
  | { readonly error: ReplicaError };

/** The `_meta` key of a stamped event: the publish time, ns of the monotonic clock, as a string. */
export const SentAtMetaKey = "dev.vmcp/sentNs";
