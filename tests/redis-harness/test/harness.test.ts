import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  beginSlotMigration,
  type ClusterNodeInfo,
  clusterPrimaries,
  clusterTopology,
  freePort,
  InstallRedisHint,
  manualFailover,
  RedisServerMissingError,
  redisCli,
  releasePort,
  replicaOf,
  requireRedisServer,
  reshard,
  startRedisCluster,
  startRedisServer,
  startSentinelGroup,
  waitForAgreement,
  waitUntil,
} from "@vmcp/redis-harness";
import { describe, expect, it } from "vitest";

describe("requireRedisServer", () => {
  it("finds the installed redis-server", () => {
    expect(requireRedisServer().version).toMatch(/^Redis server v=\d/);
  });
});

describe("RedisServerMissingError", () => {
  it("tells the reader how to install redis-server", () => {
    const error = new RedisServerMissingError("redis-server", new Error("ENOENT"));
    expect(error.message).toContain("apt-get install -y redis-server");
    expect(InstallRedisHint).toBe("install redis-server: apt-get install -y redis-server");
  });
});

describe("freePort", () => {
  it("reserves the port for this process across processes until released", async () => {
    const port = await freePort();
    const reservation = join(tmpdir(), "vmcp-redis-harness-ports", String(port));
    expect(readFileSync(reservation, "utf8")).toBe(String(process.pid));
    releasePort(port);
    expect(existsSync(reservation)).toBe(false);
  });

  it("keeps a killed server's port reserved until the server is closed", async () => {
    const server = await startRedisServer();
    const reservation = join(tmpdir(), "vmcp-redis-harness-ports", String(server.port));
    await server.kill();
    expect(existsSync(reservation)).toBe(true);
    await server.close();
    expect(existsSync(reservation)).toBe(false);
  });
});

describe("startRedisServer", () => {
  it("starts a throwaway server, survives stop/kill/restart and cleans up on close", async () => {
    const server = await startRedisServer();
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(await server.cli("CONFIG", "GET", "appendonly")).toBe("appendonly\nno");
      expect(await server.cli("SET", "k", "v")).toBe("OK");

      await server.stop();
      expect(server.running).toBe(false);
      await expect(redisCli(server.port, ["PING"], 2_000)).rejects.toThrow();

      await server.restart();
      expect(await server.cli("PING")).toBe("PONG");
      // Nothing is persisted: a restarted server starts empty.
      expect(await server.cli("EXISTS", "k")).toBe("0");

      await server.kill();
      expect(server.running).toBe(false);
      await server.restart();
      expect(await server.cli("PING")).toBe("PONG");
    } finally {
      await server.close();
    }
    expect(server.running).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
    await server.close();
  });

  it("shuts down on the SHUTDOWN command", async () => {
    const server = await startRedisServer();
    try {
      await server.shutdown();
      expect(server.running).toBe(false);
      await server.restart();
      expect(await server.cli("PING")).toBe("PONG");
    } finally {
      await server.close();
    }
  });

  it("pauses and resumes the process", async () => {
    const server = await startRedisServer();
    try {
      server.pause();
      await expect(redisCli(server.port, ["PING"], 500)).rejects.toThrow();
      server.resume();
      expect(await server.cli("PING")).toBe("PONG");
    } finally {
      await server.close();
    }
  });
});

describe("startSentinelGroup", () => {
  it("promotes the replica when the master stops", async () => {
    const group = await startSentinelGroup();
    try {
      const before = await group.currentMaster();
      expect(before.port).toBe(group.master.port);
      await group.master.stop();
      const after = await group.waitForFailover(before.port);
      expect(after.port).toBe(group.replica.port);
    } finally {
      await group.close();
    }
    expect(existsSync(group.sentinel.dir)).toBe(false);
  });

  it("runs a manual failover and rejoins a killed master as a replica", async () => {
    const group = await startSentinelGroup();
    try {
      const after = await group.failover();
      expect(after.port).toBe(group.replica.port);
      // The old master stays up and is demoted to a replica of the new one.
      await waitUntil(
        "the old master's demotion",
        async () => (await group.master.cli("ROLE")).startsWith("slave"),
        30_000,
      );
      await group.replica.cli("SET", "k", "v");
      await group.master.kill();
      await group.master.shutdown(); // idempotent on a stopped server
      await group.rejoinAsReplica(group.master);
      expect((await group.master.cli("ROLE")).split("\n")[0]).toBe("slave");
      await waitUntil(
        "the rejoined replica to sync",
        async () => (await group.master.cli("GET", "k")) === "v",
        10_000,
      );
      await expect(group.rejoinAsReplica(group.replica)).rejects.toThrow(/current master/);
    } finally {
      await group.close();
    }
  }, 60_000);
});

describe("startRedisCluster", () => {
  it("creates a cluster of 3 primaries covering every slot", async () => {
    const cluster = await startRedisCluster({ primaries: 3 });
    try {
      expect(cluster.nodes).toHaveLength(3);
      const first = cluster.servers[0];
      if (first === undefined) throw new Error("no node");
      const info = await first.cli("CLUSTER", "INFO");
      expect(info).toContain("cluster_slots_assigned:16384");
      expect(info).toContain("cluster_size:3");
    } finally {
      await cluster.close();
    }
  });
});

describe("cluster administration", () => {
  it("reshards, migrates a slot by hand and fails over a 3+3 cluster", async () => {
    const cluster = await startRedisCluster({ primaries: 3, replicasPerPrimary: 1 });
    try {
      const count = (node: ClusterNodeInfo): number =>
        node.slots.reduce((sum, [first, last]) => sum + last - first + 1, 0);
      const primaries = await clusterPrimaries(cluster);
      expect(primaries).toHaveLength(3);
      expect(primaries.reduce((sum, node) => sum + count(node), 0)).toBe(16_384);
      const [a, b] = primaries;
      if (a === undefined || b === undefined) throw new Error("too few primaries");

      await reshard(cluster, { from: a.id, to: b.id, slots: 100 });
      await waitForAgreement(cluster);
      const after = await clusterPrimaries(cluster);
      expect(count(after.find((node) => node.id === a.id) as ClusterNodeInfo)).toBe(count(a) - 100);
      expect(count(after.find((node) => node.id === b.id) as ClusterNodeInfo)).toBe(count(b) + 100);

      // The slot of one key moved by hand, key and all, to another primary.
      const probe = cluster.servers[0];
      if (probe === undefined) throw new Error("no server");
      const slot = Number(await probe.cli("CLUSTER", "KEYSLOT", "harness-key"));
      const owns = (node: ClusterNodeInfo): boolean =>
        node.slots.some(([first, last]) => slot >= first && slot <= last);
      const source = after.find(owns);
      const target = after.find((node) => !owns(node));
      if (source?.server === undefined || target?.server === undefined) {
        throw new Error("no source or target");
      }
      expect(await source.server.cli("SET", "harness-key", "v")).toBe("OK");
      const migration = await beginSlotMigration(cluster, slot, source, target);
      expect(await migration.moveKeys()).toBe(1);
      await migration.finish();
      expect((await clusterTopology(cluster)).find(owns)?.id).toBe(target.id);
      expect(await target.server.cli("GET", "harness-key")).toBe("v");

      const replica = await replicaOf(cluster, a);
      await manualFailover(cluster, replica);
      const roles = await clusterTopology(cluster);
      expect(roles.find((node) => node.id === replica.id)?.role).toBe("primary");
      expect(roles.find((node) => node.id === a.id)?.role).toBe("replica");
    } finally {
      await cluster.close();
    }
  });
});
