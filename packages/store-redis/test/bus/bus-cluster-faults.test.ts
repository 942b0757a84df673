/**
 * The Redis bus on a Cluster of 3 primaries and 3 replicas when the slot of a session's channel
 * changes owner: moved to another primary (a slot migration), a manual `CLUSTER FAILOVER`, and
 * the shard's primary killed. Under two steady streams of publishes (one per bus, each bus
 * subscribed), delivery resumes both ways with every message at most once and in order, every
 * failed publish is a `BusUnavailableError`, and a bus opened afterwards reaches the old ones
 * both ways (their sharded subscriptions moved to the slot's new owner).
 */
import {
  beginSlotMigration,
  type ClusterNodeInfo,
  clusterPrimaries,
  delay,
  manualFailover,
  replicaOf,
  requireRedisServer,
  waitForAgreement,
  waitForPrimary,
} from "@vmcp/redis-harness";
import { generateSessionId } from "@vmcp/session-core";
import { RedisMessageBus } from "@vmcp/store-redis";
import { describe, expect, it } from "vitest";
import { keySlot, uniquePrefix, useFaultCluster } from "../fixtures.js";
import { useBusInChild } from "./bus-exit.js";
import { deliveryAcrossFault } from "./bus-streams.js";

requireRedisServer();

const fixture = useFaultCluster();
const { cleanups } = fixture;

function openBus(keyPrefix: string): RedisMessageBus {
  const bus = new RedisMessageBus({ cluster: { nodes: [...fixture.cluster.nodes] }, keyPrefix });
  cleanups.push(() => bus.close());
  return bus;
}

/** A fresh session, its channel's slot, and the primary that owns that slot now. */
async function sessionOnAShard(keyPrefix: string): Promise<{
  id: string;
  slot: number;
  primary: ClusterNodeInfo;
}> {
  await waitForAgreement(fixture.cluster);
  const id = generateSessionId();
  const probe = openBus(keyPrefix);
  const slot = keySlot(probe.channelOf(id));
  const primaries = await clusterPrimaries(fixture.cluster);
  const primary = primaries.find((node) =>
    node.slots.some(([first, last]) => first <= slot && slot <= last),
  );
  if (primary === undefined) throw new Error(`no primary serves slot ${slot}`);
  return { id, slot, primary };
}

/** Runs two streams across `fault` and checks delivery before, after and through it. */
function acrossFault(keyPrefix: string, id: string, fault: () => Promise<void>): Promise<void> {
  return deliveryAcrossFault(() => openBus(keyPrefix), id, fault);
}

describe("RedisMessageBus on a Cluster", () => {
  it("leaves nothing behind: a process that used and closed it exits on its own", async () => {
    const options = {
      cluster: { nodes: [...fixture.cluster.nodes] },
      keyPrefix: uniquePrefix("exit"),
    };
    expect(await useBusInChild(options)).toBe("hello");
  });
});

describe("RedisMessageBus when a session's slot changes owner", () => {
  it("follows the slot to another primary (a slot migration, 1 s half done): delivery resumes, at most once, in order", async () => {
    const keyPrefix = uniquePrefix("bus-migrate");
    const { id, slot, primary } = await sessionOnAShard(keyPrefix);
    const target = (await clusterPrimaries(fixture.cluster)).find((node) => node.id !== primary.id);
    if (target === undefined) throw new Error("no other primary");
    await acrossFault(keyPrefix, id, async () => {
      const migration = await beginSlotMigration(fixture.cluster, slot, primary, target);
      // Both streams keep running while the slot is half migrated (MIGRATING/IMPORTING).
      await delay(1_000);
      await migration.finish();
    });
  }, 90_000);

  it("follows a manual CLUSTER FAILOVER of the slot's shard: delivery resumes, at most once, in order", async () => {
    const keyPrefix = uniquePrefix("bus-failover");
    const { id, primary } = await sessionOnAShard(keyPrefix);
    const replica = await replicaOf(fixture.cluster, primary);
    await acrossFault(keyPrefix, id, () => manualFailover(fixture.cluster, replica));
  }, 90_000);

  it("follows the promotion after the slot's primary is killed: delivery resumes, at most once, in order", async () => {
    const keyPrefix = uniquePrefix("bus-kill");
    const { id, primary } = await sessionOnAShard(keyPrefix);
    const replica = await replicaOf(fixture.cluster, primary);
    const server = primary.server;
    if (server === undefined) throw new Error("the primary is not a harness server");
    cleanups.push(async () => {
      await server.restart();
      await waitForAgreement(fixture.cluster);
    });
    await acrossFault(keyPrefix, id, async () => {
      await server.kill();
      await waitForPrimary(fixture.cluster, replica.id);
    });
  }, 90_000);
});
