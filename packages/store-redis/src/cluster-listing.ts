import { StorageListIncompleteError, StorageUnavailableError } from "@vmcp/session-core";
import type { Cluster, Redis } from "ioredis";

/** How many hash slots a Redis Cluster has. */
const SlotCount = 16_384;

/** Slots read per round trip to one node (one pipeline of `CLUSTER GETKEYSINSLOT`). */
export const ListSlotsPerRoundTrip = 256;

/** How often one slot is sent to another node (it moved, or its owner failed) before it counts as unreachable. */
const MaxReroutes = 3;

/** How many failed round trips to one node a walk tolerates before it stops asking that node. */
const MaxNodeFailures = 2;

/** The largest count `CLUSTER GETKEYSINSLOT` is asked for when a slot holds more than a batch. */
const AllKeys = 2_147_483_647;

/** What {@link listClusterKeys} needs from the storage. */
export interface ClusterListing {
  readonly client: Cluster;
  /** Keys asked per slot per round trip; a slot with more is read whole in a second call. */
  readonly keysPerSlot: number;
  /** Runs one call within the storage's bound, mapping failures to core errors. */
  readonly bounded: <T>(send: () => Promise<T>) => Promise<T>;
  /** Throws `StorageClosedError` once the storage is closed. */
  readonly checkOpen: () => void;
}

/**
 * Every key of a Redis Cluster, walked slot by slot, each slot's keys yielded once (a key lives
 * in exactly one slot). The rule, which holds while slots migrate: every key that exists for
 * the whole walk is yielded exactly once; a key created or deleted during the walk may or may
 * not be.
 *
 * How: for a batch of slots, the node that owns them is asked for its view (`CLUSTER NODES`),
 * then for the slots' keys (`CLUSTER GETKEYSINSLOT`), then for its view again. A slot that is
 * migrating in either view, or that changed owner in between, is also read on the node its keys
 * move to, after the source: keys only move from the source to the target, so a key absent from
 * the source when it was read was already on the target when the target was read. The two
 * reads are merged per slot. A slot whose owner does not answer is routed again after a slot
 * map refresh (its replica may have been promoted), at most {@link MaxReroutes} times; then it
 * is reported: after yielding every reachable key the walk throws `StorageListIncompleteError`
 * naming the unreachable nodes and slot ranges.
 */
export async function* listClusterKeys(listing: ClusterListing): AsyncGenerator<string> {
  const { client } = listing;
  // Wait (within the bound) for the client to be ready with a slot map.
  await listing.bounded(async () => undefined);
  const reroutes = new Uint8Array(SlotCount);
  const failures = new Map<string, number>();
  const unreachable = new Map<string, number[]>();
  const queue = batchesByOwner(
    client,
    Array.from({ length: SlotCount }, (_, slot) => slot),
  );
  const giveUp = (slots: readonly number[], node: string): void => {
    const missed = unreachable.get(node) ?? [];
    missed.push(...slots);
    unreachable.set(node, missed);
  };
  /** Routes slots once more (to `node`, or by the slot map), or gives them up after too many. */
  const reroute = (slots: readonly number[], from: string, node?: string): void => {
    const again: number[] = [];
    for (const slot of slots) {
      const count = (reroutes[slot] ?? 0) + 1;
      reroutes[slot] = count;
      if (count > MaxReroutes) giveUp([slot], node ?? from);
      else again.push(slot);
    }
    queue.push(...(node === undefined ? batchesByOwner(client, again) : chunk(node, again)));
  };

  for (let batch = queue.shift(); batch !== undefined; batch = queue.shift()) {
    listing.checkOpen();
    const { node, slots } = batch;
    if (node === undefined) {
      giveUp(slots, "(no node serves these slots)");
      continue;
    }
    // A node that failed twice in this walk is not waited for again.
    if ((failures.get(node) ?? 0) >= MaxNodeFailures) {
      giveUp(slots, node);
      continue;
    }
    let read: BatchRead;
    try {
      read = await readBatch(listing, node, slots);
    } catch (error) {
      if (!(error instanceof StorageUnavailableError)) throw error;
      failures.set(node, (failures.get(node) ?? 0) + 1);
      // Its replica may have been promoted: route the slots by a fresh map.
      await refreshSlots(listing);
      reroute(slots, node);
      continue;
    }
    for (const keys of read.keys.values()) yield* keys;
    for (const [owner, moved] of read.elsewhere) reroute(moved, node, owner);
  }
  if (unreachable.size > 0) {
    throw new StorageListIncompleteError(
      [...unreachable].map(([node, slots]) => ({ node, slotRanges: ranges(slots) })),
    );
  }
}

/** A batch of slots and the node believed to own them (`undefined`: none known). */
interface Batch {
  readonly node: string | undefined;
  readonly slots: number[];
}

/** One batch's outcome: the keys of each slot read, and slots that belong to another node. */
interface BatchRead {
  readonly keys: Map<number, Set<string>>;
  readonly elsewhere: Map<string, number[]>;
}

async function readBatch(
  listing: ClusterListing,
  address: string,
  slots: readonly number[],
): Promise<BatchRead> {
  const node = await nodeAt(listing, address);
  const before = await viewOf(listing, node);
  const owned: number[] = [];
  const elsewhere = new Map<string, number[]>();
  for (const slot of slots) {
    const owner = before.owners[slot];
    if (owner === before.self) owned.push(slot);
    else addTo(elsewhere, owner ?? address, slot);
  }
  // A node that answers for slots it no longer owns (or no longer knows an owner for) is
  // trusted only once more: the next read goes to the owner it names.
  const keys = await readSlots(listing, node, owned);
  const after = await viewOf(listing, node);
  const targets = new Map<string, number[]>();
  for (const slot of owned) {
    const target =
      after.migrating.get(slot) ??
      before.migrating.get(slot) ??
      (after.owners[slot] === after.self ? undefined : after.owners[slot]);
    if (target !== undefined && target !== address) addTo(targets, target, slot);
  }
  for (const [target, moved] of targets) {
    const more = await readSlots(listing, await nodeAt(listing, target), moved);
    for (const [slot, found] of more) {
      const merged = keys.get(slot);
      if (merged === undefined) keys.set(slot, found);
      else for (const key of found) merged.add(key);
    }
  }
  return { keys, elsewhere };
}

/** Each slot's keys on `node`, in one round trip (plus one for slots fuller than a batch). */
async function readSlots(
  listing: ClusterListing,
  node: Redis,
  slots: readonly number[],
): Promise<Map<number, Set<string>>> {
  const keys = new Map<number, Set<string>>();
  if (slots.length === 0) return keys;
  const replies = await getKeysInSlots(listing, node, slots, listing.keysPerSlot);
  const full: number[] = [];
  slots.forEach((slot, i) => {
    const found = replies[i] ?? [];
    if (found.length >= listing.keysPerSlot) full.push(slot);
    else keys.set(slot, new Set(found));
  });
  if (full.length > 0) {
    const whole = await getKeysInSlots(listing, node, full, AllKeys);
    full.forEach((slot, i) => {
      keys.set(slot, new Set(whole[i] ?? []));
    });
  }
  return keys;
}

function getKeysInSlots(
  listing: ClusterListing,
  node: Redis,
  slots: readonly number[],
  count: number,
): Promise<string[][]> {
  return listing.bounded(async () => {
    const pipeline = node.pipeline();
    for (const slot of slots) pipeline.call("CLUSTER", "GETKEYSINSLOT", slot, count);
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, reply]) => {
      if (error !== null) throw error;
      return reply as string[];
    });
  });
}

/** One node's view of the Cluster: who owns each slot and which of its slots are migrating where. */
interface NodeView {
  /** The asked node's address, `host:port`. */
  readonly self: string;
  /** The owner's address by slot. */
  readonly owners: (string | undefined)[];
  /** The asked node's migrating slots and the address each one moves to. */
  readonly migrating: Map<number, string>;
}

async function viewOf(listing: ClusterListing, node: Redis): Promise<NodeView> {
  const text = await listing.bounded(() => node.call("CLUSTER", "NODES"));
  return parseClusterNodes(String(text));
}

/**
 * Parses `CLUSTER NODES`: each line is
 * `<id> <ip:port@cport[,hostname]> <flags> <primary> <ping> <pong> <epoch> <link> <slot>...`,
 * where a slot is `n` or `first-last`, and the asked node's own line (flag `myself`) also lists
 * `[slot->-<target id>]` for a slot it is migrating out.
 */
export function parseClusterNodes(text: string): NodeView {
  const owners: (string | undefined)[] = new Array(SlotCount);
  const addressById = new Map<string, string>();
  let self = "";
  const selfMigrating: [number, string][] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(" ");
    const [id, endpoint, flags] = fields;
    if (id === undefined || endpoint === undefined || flags === undefined) continue;
    const address = endpoint.split("@")[0] ?? endpoint;
    addressById.set(id, address);
    const flagSet = new Set(flags.split(","));
    const isSelf = flagSet.has("myself");
    if (isSelf) self = address;
    if (!flagSet.has("master")) continue;
    for (const field of fields.slice(8)) {
      if (field.startsWith("[")) {
        const migrating = /^\[(\d+)->-([0-9a-f]+)\]$/.exec(field);
        if (isSelf && migrating?.[1] !== undefined && migrating[2] !== undefined) {
          selfMigrating.push([Number(migrating[1]), migrating[2]]);
        }
        continue;
      }
      const [first, last = first] = field.split("-").map(Number);
      if (first === undefined || last === undefined) continue;
      for (let slot = first; slot <= last && slot < SlotCount; slot++) owners[slot] = address;
    }
  }
  const migrating = new Map<number, string>();
  for (const [slot, targetId] of selfMigrating) {
    const target = addressById.get(targetId);
    if (target !== undefined) migrating.set(slot, target);
  }
  return { self, owners, migrating };
}

/** The client's connection to the node at `address`, refreshing the slot map once if unknown. */
async function nodeAt(listing: ClusterListing, address: string): Promise<Redis> {
  const find = (): Redis | undefined =>
    listing.client
      .nodes("all")
      .find((node) => `${node.options.host}:${node.options.port}` === address);
  let node = find();
  if (node === undefined) {
    await refreshSlots(listing);
    node = find();
  }
  if (node === undefined) {
    throw new StorageUnavailableError(`Redis listIds failed: no connection to node ${address}`);
  }
  return node;
}

/** Asks the client to refresh its slot map and waits for it, within the bound. */
async function refreshSlots(listing: ClusterListing): Promise<void> {
  try {
    await listing.bounded(
      () =>
        new Promise<void>((resolve, reject) => {
          listing.client.refreshSlotsCache((error) => (error ? reject(error) : resolve()));
        }),
    );
  } catch (error) {
    if (!(error instanceof StorageUnavailableError)) throw error;
    // The map stays as it was; the slots are retried or reported.
  }
}

/** `slots` grouped by their owner in the client's slot map, in batches of at most one round trip. */
function batchesByOwner(client: Cluster, slots: readonly number[]): Batch[] {
  const byOwner = new Map<string | undefined, number[]>();
  for (const slot of slots) {
    const owner = client.slots[slot]?.[0];
    const list = byOwner.get(owner);
    if (list === undefined) byOwner.set(owner, [slot]);
    else list.push(slot);
  }
  return [...byOwner].flatMap(([owner, owned]) => chunk(owner, owned));
}

function chunk(node: string | undefined, slots: readonly number[]): Batch[] {
  const batches: Batch[] = [];
  for (let i = 0; i < slots.length; i += ListSlotsPerRoundTrip) {
    batches.push({ node, slots: slots.slice(i, i + ListSlotsPerRoundTrip) });
  }
  return batches;
}

function addTo(map: Map<string, number[]>, key: string, slot: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [slot]);
  else list.push(slot);
}

/** Sorted slots as inclusive ranges. */
function ranges(slots: readonly number[]): [number, number][] {
  const sorted = [...slots].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const slot of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && slot === last[1] + 1) last[1] = slot;
    else out.push([slot, slot]);
  }
  return out;
}
