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
} from "@vmcp/session-core";
import type { Cluster, Redis } from "ioredis";
import { listClusterKeys } from "./cluster-listing.js";
import { followRedirects } from "./cluster-redirects.js";
import { DurableWriter, resolveDurability, type WriteScript, writeScript } from "./durability.js";
import { KeyLayout } from "./key-layout.js";
import { decodeRecord, encodeMetadata, isPastDeadline, metadataField } from "./record-codec.js";
import { timeoutError, toStorageError } from "./redis-errors.js";
import {
  DefaultListBatchSize,
  DefaultTimeoutMs,
  MaxListBatchSize,
  type RedisStorageOptions,
  resolveClient,
} from "./redis-options.js";
import { reviveOnEnd } from "./revive.js";
import {
  CreateScript,
  DeleteScript,
  LoadScript,
  LoadSlideScript,
  TouchScript,
  UpdateScript,
} from "./scripts.js";
import { WriteCoalescer } from "./write-coalescing.js";

/** The script commands the storage defines on its client (one EVALSHA each). */
interface SessionScripts {
  vmcpSessionCreate(key: string, ...args: string[]): Promise<unknown>;
  vmcpSessionUpdate(key: string, ...args: string[]): Promise<unknown>;
  vmcpSessionLoad(key: string): Promise<unknown>;
  vmcpSessionLoadSlide(key: string, ...args: string[]): Promise<unknown>;
  vmcpSessionTouch(key: string, ...args: string[]): Promise<unknown>;
  vmcpSessionDelete(key: string, ...args: string[]): Promise<unknown>;
}

type ScriptedClient = (Redis | Cluster) & SessionScripts;

/** The write scripts, for `EVALSHA` in a pipeline with `WAIT` (durability on). */
const WriteScripts = {
  create: writeScript(CreateScript),
  update: writeScript(UpdateScript),
  touch: writeScript(TouchScript),
  delete: writeScript(DeleteScript),
} as const satisfies Record<string, WriteScript>;
/** Every script command of {@link SessionScripts}. */
const ScriptCommandNames: readonly (keyof SessionScripts)[] = [
  "vmcpSessionCreate",
  "vmcpSessionUpdate",
  "vmcpSessionLoad",
  "vmcpSessionLoadSlide",
  "vmcpSessionTouch",
  "vmcpSessionDelete",
];

/**
 * A `SessionStorage` on Redis through ioredis: standalone, Sentinel or Cluster. Each session is
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
  readonly #client: ScriptedClient;
  readonly #owned: boolean;
  /** Whether every command is bounded by the client's own options (see `#run`). */
  readonly #selfBounded: boolean;
  readonly #layout: KeyLayout;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  /** WAIT after each write, or `undefined` (durability off). */
  readonly #durable: DurableWriter | undefined;
  /**
   * The connection of the durable writes when the storage owns a standalone or Sentinel client:
   * a `WAIT` blocks its connection, so loads must not queue behind it.
   */
  readonly #writer: Redis | undefined;
  /** The last connection error seen, named in timeout messages. */
  #lastError: Error | undefined;
  readonly #onError = (error: Error): void => {
    // Connection errors surface as rejected calls; the event itself must not crash the process.
    this.#lastError = error;
  };
  #ready: Promise<void> | undefined;
  #closed = false;
  /** Sends the commands of one event-loop turn in one socket write. */
  readonly #coalescer = new WriteCoalescer();
  /** Stops reconnecting the owned standalone or Sentinel clients after an unexpected `end`. */
  readonly #stopReviving: Array<() => void> = [];

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
    this.#now = options.now ?? Date.now;
    const durability = resolveDurability(options.durability, timeoutMs);
    const { client, owned } = resolveClient(options, timeoutMs);
    this.#owned = owned;
    // Auto-pipelining queues a command behind the pipeline in flight, and its command timeout
    // starts only when it is sent: a stall would take up to twice the bound. Time those calls
    // from the moment they are made instead; durable writes too (they may wait for their own
    // connection).
    this.#selfBounded =
      owned &&
      !isCluster(client) &&
      client.options.enableAutoPipelining !== true &&
      durability === undefined;
    client.on("error", this.#onError);
    if (owned && !isCluster(client)) {
      this.#stopReviving.push(reviveOnEnd(client));
      if (durability !== undefined) {
        this.#writer = client.duplicate();
        this.#writer.on("error", this.#onError);
        this.#stopReviving.push(reviveOnEnd(this.#writer));
      }
    }
    this.#durable =
      durability === undefined
        ? undefined
        : new DurableWriter(this.#writer ?? client, durability, timeoutMs);
    client.defineCommand("vmcpSessionCreate", { numberOfKeys: 1, lua: CreateScript });
    client.defineCommand("vmcpSessionUpdate", { numberOfKeys: 1, lua: UpdateScript });
    // Not marked read-only: a Cluster client reading from replicas could miss a fresh write.
    client.defineCommand("vmcpSessionLoad", { numberOfKeys: 1, lua: LoadScript });
    client.defineCommand("vmcpSessionLoadSlide", { numberOfKeys: 1, lua: LoadSlideScript });
    client.defineCommand("vmcpSessionTouch", { numberOfKeys: 1, lua: TouchScript });
    client.defineCommand("vmcpSessionDelete", { numberOfKeys: 1, lua: DeleteScript });
    if (isCluster(client)) followRedirects(client, ScriptCommandNames);
    this.#client = client as ScriptedClient;
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
      ? this.#run("load", id, (client) => client.vmcpSessionLoad(key), decode)
      : this.#run(
          "load",
          id,
          (client) => client.vmcpSessionLoadSlide(key, String(now), String(slide)),
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
    if (isCluster(this.#client)) {
      const keys = listClusterKeys({
        client: this.#client,
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
    const node = this.#client as Redis;
    let cursor = "0";
    do {
      this.#checkOpen();
      const [next, keys] = await this.#run("listIds", undefined, () =>
        node.scan(cursor, "MATCH", pattern, "COUNT", count),
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
   * Sends one write's script: alone (the command the storage defined), or with durability on,
   * pipelined with `WAIT` (see `DurableWriter`).
   */
  #write(
    client: ScriptedClient,
    operation: keyof typeof WriteScripts,
    sessionId: string,
    key: string,
    args: readonly string[],
  ): Promise<unknown> {
    const durable = this.#durable;
    if (durable === undefined) {
      switch (operation) {
        case "create":
          return client.vmcpSessionCreate(key, ...args);
        case "update":
          return client.vmcpSessionUpdate(key, ...args);
        case "touch":
          return client.vmcpSessionTouch(key, ...args);
        case "delete":
          return client.vmcpSessionDelete(key, ...args);
      }
    }
    return durable.write(WriteScripts[operation], key, args, operation, sessionId);
  }

  /**
   * Runs one operation within the bound: waits for the client to be ready (there is no offline
   * queue), sends, and maps every failure to a core error. A late settlement of an operation
   * that already timed out is absorbed.
   */
  #run<R, T = R>(
    operation: string,
    sessionId: string | undefined,
    send: (client: ScriptedClient) => Promise<R>,
    decode?: (reply: R) => T,
  ): Promise<T> {
    const client = this.#client;
    if (this.#selfBounded && client.status === "ready") {
      // A standalone or Sentinel client the storage built bounds each command itself
      // (commandTimeout, no offline queue, no resend): no second timer needed.
      let sent: Promise<R>;
      try {
        this.#holdWrites(client);
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

  /** {@link #run} with its own timer: waiting for a connection, or a client that is not ours. */
  async #runBounded<R, T>(
    operation: string,
    sessionId: string | undefined,
    send: (client: ScriptedClient) => Promise<R>,
    decode: ((reply: R) => T) | undefined,
  ): Promise<T> {
    const client = this.#client;
    const attempt =
      client.status === "ready"
        ? this.#sendCoalesced(client, send)
        : this.#whenReady().then(() => {
            this.#checkOpen();
            return this.#sendCoalesced(client, send);
          });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(timeoutError(operation, this.#timeoutMs, this.#lastError)),
        this.#timeoutMs,
      );
    });
    let reply: R;
    try {
      reply = await Promise.race([attempt, timeout]);
    } catch (error) {
      attempt.catch(() => undefined);
      throw toStorageError(error, operation, sessionId);
    } finally {
      clearTimeout(timer);
    }
    return decode === undefined ? (reply as unknown as T) : decode(reply);
  }

  #sendCoalesced<R>(
    client: ScriptedClient,
    send: (client: ScriptedClient) => Promise<R>,
  ): Promise<R> {
    this.#holdWrites(client);
    return send(client);
  }

  /**
   * Holds a standalone or Sentinel client's socket writes for the rest of this turn, so the
   * commands of many callers leave a few at a time (see {@link WriteCoalescer}). A Cluster
   * client writes to one socket per node and is left as it is (its auto-pipelining batches).
   */
  #holdWrites(client: ScriptedClient): void {
    if (!isCluster(client)) this.#coalescer.hold(client.stream);
  }

  /** Resolves when the client is ready; the caller's bound limits the wait. */
  #whenReady(): Promise<void> {
    const client = this.#client;
    if (client.status === "end" || client.status === "close") {
      if (this.#owned) {
        return Promise.reject(new StorageUnavailableError("the Redis connection has ended"));
      }
    }
    if (this.#ready === undefined) {
      this.#ready = new Promise<void>((resolve) => {
        client.once("ready", () => {
          this.#ready = undefined;
          this.#lastError = undefined;
          resolve();
        });
      });
      if (client.status === "wait") client.connect().catch(() => undefined);
    }
    return this.#ready;
  }

  #checkOpen(): void {
    if (this.#closed) throw new StorageClosedError();
  }
}

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
  const hash = parseJsonReply(id, reply);
  // cjson writes an empty table (no such key) as {}.
  if (!Array.isArray(hash)) return undefined;
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

function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as Cluster).isCluster === true;
}
