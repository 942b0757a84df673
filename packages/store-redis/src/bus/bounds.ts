import { BusUnavailableError } from "@vmcp/session-core/storage";
import { VmcpSessionError } from "@vmcp/session-keys";
import type { Cluster, Redis, RedisOptions } from "ioredis";
import { reconnectDelayMs } from "../clients/redis-options.js";

/**
 * The bounds of every connection the bus opens of its own (subscriber connections, and the
 * Cluster publisher's node connections), whatever options the client it comes from has: opened
 * at its first command, no offline queue (a command is sent now or refused, never queued for
 * later), no resend of a command lost with its connection, `timeoutMs` per command and per
 * connect, reconnection 100 ms more apart per attempt up to 500 ms.
 */
export function busConnectionBounds(timeoutMs: number) {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    retryStrategy: reconnectDelayMs,
  } as const satisfies RedisOptions;
}

/**
 * Settles with `work`, or rejects with `BusUnavailableError` once `deadline` (a
 * `performance.now()` instant, ms) passes. A late settlement of `work` is absorbed.
 */
export async function beforeDeadline<T>(
  work: Promise<T>,
  deadline: number,
  what: string,
  lastError?: () => Error | undefined,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        const cause = lastError?.();
        const reason = cause === undefined ? "" : ` (last connection error: ${cause.message})`;
        reject(
          new BusUnavailableError(
            `Redis ${what} did not complete in time${reason}`,
            cause === undefined ? undefined : { cause },
          ),
        );
      },
      Math.max(0, deadline - performance.now()),
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (error) {
    work.catch(() => undefined);
    throw toBusError(error, what);
  } finally {
    clearTimeout(timer);
  }
}

/** Anything a bus call failed with, as a core error: our typed errors pass, the rest is unavailability. */
export function toBusError(error: unknown, what: string): Error {
  if (error instanceof VmcpSessionError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BusUnavailableError(`Redis ${what} failed: ${message}`, { cause: error });
}

/**
 * Waits for a client's `ready` event with one listener for all callers, each wait bounded by
 * its own deadline: a wait that runs out is dropped at once, so an outage holds no more waiters
 * than calls in flight.
 */
export class ReadyGate {
  readonly #client: Redis | Cluster;
  readonly #waiters = new Set<() => void>();
  #listening = false;
  readonly #onReady = (): void => {
    for (const wake of [...this.#waiters]) wake();
  };

  constructor(client: Redis | Cluster) {
    this.#client = client;
  }

  /**
   * Resolves once the client is ready, connecting it if it waits for a first `connect()`.
   * @throws {BusUnavailableError} when it is not ready by `deadline` (`performance.now()` ms).
   */
  wait(deadline: number): Promise<void> {
    const client = this.#client;
    if (client.status === "ready") return Promise.resolve();
    if (!this.#listening) {
      this.#listening = true;
      client.on("ready", this.#onReady);
    }
    const waiting = new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(
        () => {
          this.#waiters.delete(wake);
          reject(new BusUnavailableError("the Redis connection was not ready in time"));
        },
        Math.max(0, deadline - performance.now()),
      );
      this.#waiters.add(wake);
    });
    if (client.status === "wait") client.connect().catch(() => undefined);
    return waiting;
  }

  /** Removes the gate's listener from the client. */
  close(): void {
    this.#client.off("ready", this.#onReady);
    this.#listening = false;
  }
}
