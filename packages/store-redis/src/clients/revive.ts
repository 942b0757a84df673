import type { Redis } from "ioredis";

/** How long after an unexpected `end` the storage reconnects its client, ms. */
export const ReviveDelayMs = 100;

/**
 * Keeps a client the storage owns connecting after an `end` it did not ask for, and returns the
 * function that stops doing so (call it before closing the client).
 *
 * ioredis ends a Sentinel client for good when its failover detector sees `+switch-master` while
 * the client is already reconnecting (after a killed master): the detector's disconnect aborts
 * the master lookup in flight, and the aborted connect moves the client to `end`. Without this,
 * that storage would answer "unavailable" forever after such a failover.
 */
export function reviveOnEnd(client: Redis): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const onEnd = (): void => {
    if (stopped || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (!stopped && client.status === "end") client.connect().catch(() => undefined);
    }, ReviveDelayMs);
  };
  client.on("end", onEnd);
  return () => {
    stopped = true;
    clearTimeout(timer);
    client.off("end", onEnd);
  };
}
