import type { Cluster, Redis } from "ioredis";

/** Whether an ioredis client is a `Cluster` (not a standalone or Sentinel `Redis`). */
export function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/**
 * Asks an ioredis Cluster client for a fresh slot map; resolves when it has one, rejects with the
 * client's error when the refresh failed. ioredis joins concurrent refreshes into one.
 */
export function refreshSlots(cluster: Cluster): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    cluster.refreshSlotsCache((error) => (error ? reject(error) : resolve()));
  });
}
