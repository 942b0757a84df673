import { BusUnavailableError, VmcpSessionError } from "@vmcp/session-core";
import type { Cluster, Redis } from "ioredis";

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
 * One shared wait for a client's `ready` event: every caller waiting while the client connects
 * gets the same promise, so an outage adds one listener, not one per call. Callers bound their
 * own wait (see {@link beforeDeadline}).
 */
export class ReadyGate {
  readonly #client: Redis | Cluster;
  #ready: Promise<void> | undefined;

  constructor(client: Redis | Cluster) {
    this.#client = client;
  }

  /** Resolves once the client is ready, connecting it if it waits for a first `connect()`. */
  wait(): Promise<void> {
    const client = this.#client;
    if (client.status === "ready") return Promise.resolve();
    if (this.#ready === undefined) {
      this.#ready = new Promise<void>((resolve) => {
        client.once("ready", () => {
          this.#ready = undefined;
          resolve();
        });
      });
    }
    if (client.status === "wait") client.connect().catch(() => undefined);
    return this.#ready;
  }
}
