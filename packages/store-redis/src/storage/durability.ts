import { StorageUnavailableError } from "@vmcp/session-core/storage";
import type { Cluster, Redis } from "ioredis";
import { isCluster, refreshSlots } from "../cluster/ioredis-cluster.js";
import type { LuaScript } from "./scripts.js";

/**
 * Write durability: after each write (`create`, `update`, `touch`, `delete`) the storage sends
 * `WAIT <replicas> <timeoutMs>` in the same pipeline as the write's script (one socket write, to
 * the same server; on Cluster to the node that owns the session's slot), and acknowledges the
 * write only when at least `replicas` replicas have confirmed it. Off by default.
 */
export interface DurabilityOptions {
  /** How many replicas must confirm each write; a positive integer. */
  readonly replicas: number;
  /**
   * How long Redis may block in `WAIT`, ms; a positive integer below the storage's `timeoutMs`,
   * so a write the replicas do not confirm is refused with {@link WriteNotReplicatedError} rather
   * than timing out. Default: half the storage's `timeoutMs` (750 ms with its default).
   */
  readonly timeoutMs?: number | undefined;
}

/** {@link DurabilityOptions} with every default applied. */
export interface ResolvedDurability {
  /** Replicas that must confirm each write. */
  readonly replicas: number;
  /** WAIT's own timeout, ms. */
  readonly timeoutMs: number;
}

/**
 * Validates `options` against the storage's bound `storageTimeoutMs` (ms) and applies the
 * defaults; `undefined` (durability off) stays `undefined`.
 * @throws {RangeError} when `replicas` is not a positive integer, or `timeoutMs` is not a
 *   positive integer below `storageTimeoutMs`.
 */
export function resolveDurability(
  options: DurabilityOptions | undefined,
  storageTimeoutMs: number,
): ResolvedDurability | undefined {
  if (options === undefined) return undefined;
  const { replicas } = options;
  if (!Number.isSafeInteger(replicas) || replicas < 1) {
    throw new RangeError(`durability.replicas must be a positive integer, got ${String(replicas)}`);
  }
  const timeoutMs = options.timeoutMs ?? Math.max(1, Math.floor(storageTimeoutMs / 2));
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs >= storageTimeoutMs) {
    throw new RangeError(
      `durability.timeoutMs must be a positive integer below timeoutMs (${storageTimeoutMs} ms), got ${String(timeoutMs)}`,
    );
  }
  return { replicas, timeoutMs };
}

/**
 * A write that Redis applied on the master but fewer replicas than required confirmed within
 * `durability.timeoutMs`: it is **not acknowledged**. A failover may still lose it, or it may
 * survive; a later read shows which. It is a {@link StorageUnavailableError} (same `code`,
 * `VMCP_STORAGE_UNAVAILABLE`), so every caller that handles an unreachable store handles it the
 * same way (the gateway answers 503); `instanceof` or `name` tells it apart.
 *
 * Retrying is safe in the sense that nothing is applied twice in a harmful way: `update` with
 * `set`/`remove`, `touch` and `delete` converge to the same state, but the retry observes the
 * first attempt's effect (`create` answers `false` for its own ID, `delete` answers `false`, an
 * `ifVersion` update conflicts). Retry once the replicas are back, or treat the session as lost.
 */
export class WriteNotReplicatedError extends StorageUnavailableError {
  /** The operation: `create`, `update`, `touch` or `delete`. */
  readonly operation: string;
  /** The session written. */
  readonly sessionId: string;
  /** Replicas required by `durability.replicas`. */
  readonly replicasRequired: number;
  /** Replicas that confirmed the write within the WAIT timeout. */
  readonly replicasConfirmed: number;

  constructor(
    operation: string,
    sessionId: string,
    replicasRequired: number,
    replicasConfirmed: number,
    waitTimeoutMs: number,
  ) {
    super(
      `Redis ${operation} of session ${JSON.stringify(sessionId)} is not acknowledged: ` +
        `${replicasConfirmed} of ${replicasRequired} required replicas confirmed it within ` +
        `${waitTimeoutMs} ms (it may or may not survive a failover)`,
    );
    this.operation = operation;
    this.sessionId = sessionId;
    this.replicasRequired = replicasRequired;
    this.replicasConfirmed = replicasConfirmed;
  }
}

/** How often a durable write follows a Cluster `MOVED` (a slot that changed owner) before failing. */
const MaxRedirects = 5;

/**
 * Sends one write's script (`EVALSHA`, one key) and `WAIT` as one pipeline (one socket write, one
 * server) and resolves the script's reply once the replicas confirmed it. A script the server
 * does not know (`NOSCRIPT`) or a Cluster `MOVED` means the script did not run: the pipeline is
 * sent again (with `EVAL`, or to the slot's new owner), so `WAIT` always follows the write it
 * confirms on the same connection. `loadFirst` sends `EVAL` from the start.
 * @throws {WriteNotReplicatedError} when fewer than `durability.replicas` replicas confirmed it.
 * @throws the script's or the connection's own error otherwise (the caller maps it).
 */
export async function writeAndWait(
  client: Redis | Cluster,
  script: LuaScript,
  key: string,
  args: readonly string[],
  durability: ResolvedDurability,
  operation: string,
  sessionId: string,
  loadFirst = false,
): Promise<unknown> {
  let useEval = loadFirst;
  for (let retries = 0; ; retries++) {
    const pipeline = client.pipeline();
    if (useEval) pipeline.eval(script.lua, 1, key, ...args);
    else pipeline.evalsha(script.sha, 1, key, ...args);
    pipeline.wait(durability.replicas, durability.timeoutMs);
    const results = await pipeline.exec();
    const [scriptError, reply] = results?.[0] ?? [new Error("the pipeline returned no reply")];
    if (scriptError !== null && scriptError !== undefined) {
      if (retries < MaxRedirects && /^NOSCRIPT/.test(scriptError.message)) {
        useEval = true;
        continue;
      }
      // ioredis follows MOVED only for pipelines of read-only commands: learn the slot's new
      // owner and send again.
      if (retries < MaxRedirects && isCluster(client) && /^MOVED /.test(scriptError.message)) {
        await refreshSlots(client).catch(() => undefined);
        continue;
      }
      throw scriptError;
    }
    const [waitError, confirmed] = results?.[1] ?? [new Error("the pipeline returned no reply")];
    if (waitError !== null && waitError !== undefined) throw waitError;
    const count = typeof confirmed === "number" ? confirmed : Number(confirmed);
    if (!(count >= durability.replicas)) {
      throw new WriteNotReplicatedError(
        operation,
        sessionId,
        durability.replicas,
        Number.isFinite(count) ? count : 0,
        durability.timeoutMs,
      );
    }
    return reply;
  }
}

/** Most writes one batch of {@link DurableWriter} sends before its `WAIT`. */
export const MaxDurableBatch = 256;

interface PendingWrite {
  readonly script: LuaScript;
  readonly key: string;
  readonly args: readonly string[];
  readonly operation: string;
  readonly sessionId: string;
  readonly resolve: (reply: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Durable writes through one client. On a standalone or Sentinel client, the writes made in the
 * same turn of the event loop share one pipeline and one `WAIT` behind them (Redis's `WAIT`
 * confirms everything the connection wrote before it, and blocks the connection while it waits,
 * so one `WAIT` per write would serialize every write behind a replica round trip). On Cluster
 * each write is its own pipeline to its slot's owner ({@link writeAndWait}).
 */
export class DurableWriter {
  readonly #client: Redis | Cluster;
  readonly #durability: ResolvedDurability;
  readonly #readyTimeoutMs: number;
  #queue: PendingWrite[] = [];
  #scheduled = false;
  #ready: Promise<void> | undefined;

  /**
   * @param client the connection the writes and their `WAIT` go to.
   * @param readyTimeoutMs how long a batch waits for `client` to be ready, ms, before its writes
   *   reject with `StorageUnavailableError` (never sent later).
   */
  constructor(client: Redis | Cluster, durability: ResolvedDurability, readyTimeoutMs: number) {
    this.#client = client;
    this.#durability = durability;
    this.#readyTimeoutMs = readyTimeoutMs;
  }

  /**
   * Sends the write's script (`EVALSHA`, one key) and resolves its reply once the replicas
   * confirmed it.
   * @throws {WriteNotReplicatedError} when fewer than `durability.replicas` confirmed it.
   * @throws the script's or the connection's own error otherwise (the caller maps it).
   */
  write(
    script: LuaScript,
    key: string,
    args: readonly string[],
    operation: string,
    sessionId: string,
  ): Promise<unknown> {
    if (isCluster(this.#client)) {
      return writeAndWait(this.#client, script, key, args, this.#durability, operation, sessionId);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ script, key, args, operation, sessionId, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batches: PendingWrite[][] = [];
    while (this.#queue.length > 0) batches.push(this.#queue.splice(0, MaxDurableBatch));
    if (this.#client.status === "ready") {
      for (const batch of batches) void this.#send(batch);
      return;
    }
    this.#whenReady().then(
      () => {
        for (const batch of batches) void this.#send(batch);
      },
      (error: unknown) => {
        for (const batch of batches) for (const write of batch) write.reject(error);
      },
    );
  }

  /** Resolves once the client is ready; rejects after `readyTimeoutMs`. One wait is shared. */
  #whenReady(): Promise<void> {
    if (this.#ready !== undefined) return this.#ready;
    const client = this.#client;
    const ready = new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        client.off("ready", onReady);
        reject(
          new StorageUnavailableError(
            `the Redis connection for durable writes was not ready within ${this.#readyTimeoutMs} ms`,
          ),
        );
      }, this.#readyTimeoutMs);
      client.once("ready", onReady);
      if (client.status === "wait") client.connect().catch(() => undefined);
    });
    const settled = (): void => {
      if (this.#ready === ready) this.#ready = undefined;
    };
    ready.then(settled, settled);
    this.#ready = ready;
    return ready;
  }

  async #send(batch: readonly PendingWrite[]): Promise<void> {
    const { replicas, timeoutMs } = this.#durability;
    const pipeline = this.#client.pipeline();
    for (const write of batch) pipeline.evalsha(write.script.sha, 1, write.key, ...write.args);
    pipeline.wait(replicas, timeoutMs);
    let results: Array<[Error | null, unknown]>;
    try {
      results = (await pipeline.exec()) ?? [];
    } catch (error) {
      for (const write of batch) write.reject(error);
      return;
    }
    const [waitError, confirmed] = results[batch.length] ?? [
      new Error("the pipeline returned no reply"),
    ];
    const count = typeof confirmed === "number" ? confirmed : Number(confirmed);
    batch.forEach((write, i) => {
      const [error, reply] = results[i] ?? [new Error("the pipeline returned no reply")];
      if (error !== null && error !== undefined) {
        if (/^NOSCRIPT/.test(error.message)) {
          // The script did not run: send it alone, loading it, with its own WAIT.
          writeAndWait(
            this.#client,
            write.script,
            write.key,
            write.args,
            this.#durability,
            write.operation,
            write.sessionId,
            true,
          ).then(write.resolve, write.reject);
        } else {
          write.reject(error);
        }
      } else if (waitError !== null && waitError !== undefined) {
        write.reject(waitError);
      } else if (!(count >= replicas)) {
        write.reject(
          new WriteNotReplicatedError(
            write.operation,
            write.sessionId,
            replicas,
            Number.isFinite(count) ? count : 0,
            timeoutMs,
          ),
        );
      } else {
        write.resolve(reply);
      }
    });
  }
}
