import {
  assertValidSessionId,
  checkDeadline,
  checkNewSession,
  checkPatch,
  checkVersion,
  type ListOptions,
  type LoadOptions,
  type NewSession,
  SessionDecodeError,
  type SessionPatch,
  type SessionRecord,
  type SessionStorage,
  SessionVersionConflictError,
  StorageClosedError,
  StorageUnavailableError,
  type UpdateOptions,
} from "@vmcp/session-core/storage";
import { CallDeadlines } from "../clients/call-deadlines.js";
import { timeoutError, toStorageError } from "../clients/redis-errors.js";
import {
  DefaultListBatchSize,
  DefaultTimeoutMs,
  MaxListBatchSize,
  type RedisStorageOptions,
  resolveStoreClient,
} from "../clients/redis-options.js";
import type { StoreClient } from "../clients/store-client.js";
import { listClusterKeys } from "../cluster/listing.js";
import { resolveDurability } from "./durability.js";
import { KeyLayout } from "./key-layout.js";
import { decodeRecord, encodeMetadata, isPastDeadline, metadataField } from "./record-codec.js";
import type { WriteScriptName } from "./scripts.js";

/**
 * A `SessionStorage` on Redis through ioredis or node-redis: standalone, Sentinel or Cluster. Each session is
 * one hash at `<prefix>{<id>}` with its deadline as the key's native TTL (PEXPIREAT, absolute),
 * so expired sessions leave without a scan. Every operation is one round trip, one Lua script
 * (EVALSHA), so each change is atomic and writers touching different metadata keys never lose
 * each other's writes.
 *
 * Every call is bounded by `timeoutMs` (default 1500 ms): with Redis unreachable it rejects with
 * `StorageUnavailableError`, never hangs, and the client's `error` events are absorbed. The client
 * reconnects on its own, so the same storage works again once Redis is back.
 *
 * With `durability` (default off), each write is acknowledged only once that many replicas
 * confirmed it (`WAIT`, pipelined with the write), else rejects with `WriteNotReplicatedError`.
 */
export class RedisStorage implements SessionStorage {
  readonly #client: StoreClient;
  readonly #layout: KeyLayout;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  /** Whether writes wait for replicas (`durability`). */
  readonly #durable: boolean;
  /** The last connection error seen, named in timeout messages. */
  #lastError: Error | undefined;
  readonly #onError = (error: Error): void => {
    // Connection errors surface as rejected calls; the event itself must not crash the process.
    this.#lastError = error;
  };
  #closed = false;
  /** The bound of calls the client does not bound itself. */
  readonly #deadlines: CallDeadlines;

  /**
   * @throws {TypeError} when not exactly one connection source is given, or the key prefix holds
   *   a brace.
   * @throws {RangeError} when `timeoutMs` is not a positive integer, or `durability` is out of
   *   range (see `DurabilityOptions`).
   */
  constructor(options: RedisStorageOptions) {
    const timeoutMs = options.timeoutMs ?? DefaultTimeoutMs;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
      throw new RangeError(`timeoutMs must be a positive integer, got ${String(timeoutMs)}`);
    }
    this.#layout = new KeyLayout(options.keyPrefix);
    this.#timeoutMs = timeoutMs;
    this.#deadlines = new CallDeadlines(timeoutMs);
    this.#now = options.now ?? Date.now;
    const durability = resolveDurability(options.durability, timeoutMs);
    this.#durable = durability !== undefined;
    this.#client = resolveStoreClient(options, { onError: this.#onError, timeoutMs, durability });
  }

  /** The key prefix in use (sessions live at `<prefix>{<id>}`). */
  get keyPrefix(): string {
    return this.#layout.prefix;
  }

  /** The Redis key that holds session `id` (for tools and tests; validates the ID). */
  keyOf(id: string): string {
    return this.#layout.sessionKey(assertValidSessionId(id));
  }

  async create(session: NewSession): Promise<boolean> {
    this.#checkOpen();
    const metadata = checkNewSession(session);
    const now = this.#now();
    if (session.expiresAt !== undefined && session.expiresAt <= now) return false;
    const key = this.#layout.sessionKey(session.id);
    const args = [String(now), optional(session.expiresAt), ...encodeMetadata(metadata)];
    const reply = await this.#run("create", session.id, (client) =>
      this.#write(client, "create", session.id, key, args),
    );
    return reply === 1;
  }

  async update(id: string, patch: SessionPatch, options: UpdateOptions = {}): Promise<boolean> {
    this.#checkOpen();
    assertValidSessionId(id);
    checkPatch(patch);
    if (options.ifVersion !== undefined) checkVersion(options.ifVersion);
    const now = this.#now();
    const set = encodeMetadata(patch.set ?? {});
    const mode =
      patch.expiresAt === undefined ? "keep" : patch.expiresAt === null ? "clear" : "set";
    const args = [
      String(now),
      optional(options.ifVersion),
      mode,
      typeof patch.expiresAt === "number" ? String(patch.expiresAt) : "",
      String(set.length / 2),
      ...set,
      ...(patch.remove ?? []).map(metadataField),
    ];
    const key = this.#layout.sessionKey(id);
    const reply = await this.#run("update", id, (client) =>
      this.#write(client, "update", id, key, args),
    );
    if (reply === -1) {
      throw new SessionVersionConflictError(id, options.ifVersion ?? 0);
    }
    return reply === 1;
  }

  load(id: string, options: LoadOptions = {}): Promise<SessionRecord | undefined> {
    // Not `async`: load is the hot path, so it settles in one promise step after the reply.
    let key: string;
    let now: number;
    try {
      this.#checkOpen();
      assertValidSessionId(id);
      if (options.slideExpiresAt !== undefined) {
        checkDeadline(options.slideExpiresAt, "slideExpiresAt");
      }
      now = this.#now();
      key = this.#layout.sessionKey(id);
    } catch (error) {
      return Promise.reject(error);
    }
    const slide = options.slideExpiresAt;
    const decode = (reply: unknown): SessionRecord | undefined => decodeLoaded(id, reply, now);
    return slide === undefined
      ? this.#run("load", id, (client) => client.script("load", key, NoArgs), decode)
      : this.#run(
          "load",
          id,
          (client) => client.script("loadSlide", key, [String(now), String(slide)]),
          decode,
        );
  }

  async touch(id: string, expiresAt: number): Promise<boolean> {
    this.#checkOpen();
    assertValidSessionId(id);
    checkDeadline(expiresAt, "expiresAt");
    const key = this.#layout.sessionKey(id);
    const now = String(this.#now());
    const reply = await this.#run("touch", id, (client) =>
      this.#write(client, "touch", id, key, [now, String(expiresAt)]),
    );
    return reply === 1;
  }

  async delete(id: string): Promise<boolean> {
    this.#checkOpen();
    assertValidSessionId(id);
    const key = this.#layout.sessionKey(id);
    const now = String(this.#now());
    const reply = await this.#run("delete", id, (client) =>
      this.#write(client, "delete", id, key, [now]),
    );
    return reply === 1;
  }

  /**
   * The IDs of the sessions stored under this storage's prefix, fetched in batches.
   *
   * - Standalone and Sentinel: one `SCAN` walk, `batchSize` its `COUNT` (default 250, at most
   *   10,000). Every session that exists for the whole walk is yielded; Redis may yield one twice
   *   if its table is resized during the walk (SCAN's rule).
   * - Cluster: a walk slot by slot (one script per round trip reads whole slots until it has
   *   `batchSize` keys, with the node's view of the slots). Every session that exists for the
   *   whole walk is yielded exactly once, also while slots migrate (a reshard) or change owner (a
   *   failover). With a primary down and not yet replaced, every reachable session is yielded,
   *   then the walk throws `StorageListIncompleteError` naming the unreachable nodes and slot
   *   ranges.
   *
   * Sessions created, deleted or expiring during the walk may or may not appear. Each round trip
   * is bounded by `timeoutMs`.
   * @throws {StorageListIncompleteError} on Cluster, after the last reachable ID, when some slots
   *   could not be read.
   * @throws {StorageUnavailableError} when Redis cannot be reached at all.
   */
  async *listIds(options: ListOptions = {}): AsyncIterable<string> {
    this.#checkOpen();
    const count = String(batchSize(options.batchSize));
    const pattern = this.#layout.scanPattern();
    if (this.#client.isCluster) {
      const keys = listClusterKeys({
        cluster: this.#client.clusterNodes(),
        keysPerRoundTrip: batchSize(options.batchSize),
        bounded: (send) => this.#run("listIds", undefined, send),
        checkOpen: () => this.#checkOpen(),
      });
      for await (const key of keys) {
        const id = this.#layout.idFromKey(key);
        if (id !== undefined) yield id;
      }
      return;
    }
    let cursor = "0";
    do {
      this.#checkOpen();
      const [next, keys] = await this.#run("listIds", undefined, (client) =>
        client.scan(cursor, pattern, count),
      );
      cursor = next;
      for (const key of keys) {
        const id = this.#layout.idFromKey(key);
        if (id !== undefined) yield id;
      }
    } while (cursor !== "0");
  }

  async ping(): Promise<void> {
    this.#checkOpen();
    await this.#run("ping", undefined, (client) => client.ping());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.close();
  }

  /**
   * Sends one write's script: alone, or with durability on, followed by `WAIT` on the same
   * connection.
   */
  #write(
    client: StoreClient,
    operation: WriteScriptName,
    sessionId: string,
    key: string,
    args: readonly string[],
  ): Promise<unknown> {
    return this.#durable
      ? client.durableWrite(operation, key, args, operation, sessionId)
      : client.script(operation, key, args);
  }

  /**
   * Runs one operation within the bound: waits for the client to be ready (there is no offline
   * queue), sends, and maps every failure to a core error. A late settlement of an operation
   * that already timed out is absorbed.
   */
  #run<R, T = R>(
    operation: string,
    sessionId: string | undefined,
    send: (client: StoreClient) => Promise<R>,
    decode?: (reply: R) => T,
  ): Promise<T> {
    const client = this.#client;
    if (client.selfBounded && client.isReady()) {
      // A standalone or Sentinel client the storage built bounds each command itself
      // (commandTimeout, no offline queue, no resend): no second timer needed.
      let sent: Promise<R>;
      try {
        sent = send(client);
      } catch (error) {
        return Promise.reject(toStorageError(error, operation, sessionId));
      }
      return sent.then(decode ?? ((reply: R) => reply as unknown as T), (error: unknown) => {
        throw toStorageError(error, operation, sessionId);
      });
    }
    return this.#runBounded(operation, sessionId, send, decode);
  }

  /**
   * {@link #run} with the storage's own bound (one timer per turn, see {@link CallDeadlines}):
   * waiting for a connection, a client that is not ours, node-redis, or auto-pipelining.
   */
  #runBounded<R, T>(
    operation: string,
    sessionId: string | undefined,
    send: (client: StoreClient) => Promise<R>,
    decode: ((reply: R) => T) | undefined,
  ): Promise<T> {
    const client = this.#client;
    let attempt: Promise<R>;
    try {
      attempt = client.isReady()
        ? send(client)
        : client.whenReady().then(() => {
            this.#checkOpen();
            this.#lastError = undefined;
            return send(client);
          });
    } catch (error) {
      return Promise.reject(toStorageError(error, operation, sessionId));
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const cancel = this.#deadlines.watch(() => {
        if (settled) return;
        settled = true;
        // A late settlement of the attempt is absorbed below.
        client.noteUnavailable();
        reject(timeoutError(operation, this.#timeoutMs, this.#lastError));
      });
      attempt.then(
        (reply) => {
          if (settled) return;
          settled = true;
          cancel();
          try {
            resolve(decode === undefined ? (reply as unknown as T) : decode(reply));
          } catch (error) {
            reject(error);
          }
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          cancel();
          const mapped = toStorageError(error, operation, sessionId);
          if (mapped instanceof StorageUnavailableError) client.noteUnavailable();
          reject(mapped);
        },
      );
    });
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageClosedError();
  }
}

/** No arguments: the plain load's. */
const NoArgs: readonly string[] = [];

function optional(value: number | undefined): string {
  return value === undefined ? "" : String(value);
}

function batchSize(requested: number | undefined): number {
  if (requested === undefined) return DefaultListBatchSize;
  if (!Number.isSafeInteger(requested) || requested < 1) return DefaultListBatchSize;
  return Math.min(requested, MaxListBatchSize);
}

/**
 * A load script's reply as a record: `undefined` when absent or past its deadline by the caller's
 * clock (Redis expires by its own clock at the same instant).
 * @throws {SessionDecodeError} naming `id` when the stored value cannot be read.
 */
function decodeLoaded(id: string, reply: unknown, now: number): SessionRecord | undefined {
  if (reply === null || reply === undefined) return undefined;
  // The load script's JSON, or (node-redis) a plain HGETALL's flat field/value array.
  const hash = Array.isArray(reply) ? reply : parseJsonReply(id, reply);
  // cjson writes an empty table (no such key) as {}; HGETALL answers an empty array.
  if (!Array.isArray(hash) || hash.length === 0) return undefined;
  const record = decodeRecord(id, hash);
  return isPastDeadline(record, now) ? undefined : record;
}

/** The load script's reply (the hash as a JSON array) as a value for {@link decodeRecord}. */
function parseJsonReply(id: string, reply: unknown): unknown {
  const text =
    typeof reply === "string" ? reply : Buffer.isBuffer(reply) ? reply.toString() : undefined;
  if (text === undefined)
    throw new SessionDecodeError(id, `unexpected reply of type ${typeof reply}`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SessionDecodeError(id, "the stored hash cannot be read back", { cause: error });
  }
}
