/**
 * @vmcp/redis-harness (private): throwaway `redis-server` processes for tests, on free loopback
 * ports in temp directories. Standalone, Sentinel (1 master, 1 replica, 1 sentinel) and Cluster,
 * each with fault controls (stop, kill, pause, restart) and a `close()` that removes every process
 * and directory (a process exit hook does it too, for tests that forget). Missing `redis-server`
 * is a loud error, never a skip.
 * @packageDocumentation
 */
export {
  type ClusterOptions,
  DefaultNodeTimeoutMs,
  type RedisCluster,
  startRedisCluster,
} from "./cluster.js";
export {
  beginSlotMigration,
  type ClusterNodeInfo,
  clusterPrimaries,
  clusterTopology,
  manualFailover,
  type ReshardOptions,
  replicaOf,
  reshard,
  type SlotMigration,
  waitForAgreement,
  waitForPrimary,
} from "./cluster-admin.js";
export { freePort, releasePort } from "./free-port.js";
export { DefaultCliTimeoutMs, redisCli } from "./redis-cli.js";
export {
  delay,
  type HostPort,
  type RedisServer,
  TopologyWaitMs,
  waitUntil,
} from "./redis-process.js";
export { ReplicaProbeKey, waitForReplicaAcks } from "./replicas.js";
export {
  InstallRedisHint,
  type RedisBinaries,
  RedisServerMissingError,
  requireRedisServer,
} from "./require-redis.js";
export {
  DefaultMasterName,
  type SentinelGroup,
  type SentinelGroupOptions,
  startSentinelGroup,
} from "./sentinel-group.js";
export { type StandaloneOptions, startRedisServer } from "./standalone.js";
