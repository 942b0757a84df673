import { StorageListIncompleteError, StorageUnavailableError } from "@vmcp/session-core/storage";
import type { ClusterNodes } from "../clients/store-client.js";
import { ClusterSlotCount } from "./hash-slot.js";

/** The most slots one listing round trip asks one node about. */
const SlotsPerRoundTrip = 1_024;

/** How often one slot is sent to another node (it moved, or its owner failed) before it counts as unreachable. */
const MaxReroutes = 3;

/** How many failed round trips to one node a walk tolerates before it stops asking that node. */
const MaxNodeFailures = 2;

/**
 * Reads the keys of slots on the node it runs on, atomically with that node's view of the
 * Cluster: `ARGV[1]` is the key budget, then inclusive slot ranges as `first, last` pairs. Whole
 * slots are read in order until the budget is reached. Replies
 * `{CLUSTER NODES, n1, key..., n2, key..., ...}`: one count and that many keys per slot read.
 * `no-writes`: it runs on a replica and during a failover too.
 */
const ReadSlotsScript = `#!lua flags=no-writes
local budget = tonumber(ARGV[1])
local out = { redis.call('CLUSTER', 'NODES') }
local total = 0
for i = 2, #ARGV, 2 do
  for slot = tonumber(ARGV[i]), tonumber(ARGV[i + 1]) do
    local keys = redis.call('CLUSTER', 'GETKEYSINSLOT', slot, 2147483647)
    local n = #keys
    out[#out + 1] = n
    for j = 1, n do out[#out + 1] = keys[j] end
    total = total + n
    if total >= budget then return out end
  end
end
return out
`;

/** What {@link listClusterKeys} needs from the storage. */
export interface ClusterListing {
  readonly cluster: ClusterNodes;
  /** Keys per round trip: a node reads whole slots until it has at least this many. */
  readonly keysPerRoundTrip: number;
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
 * How: a batch of slots is read on the node that owns them by one script, which returns the
 * slots' keys together with the node's view of the Cluster (`CLUSTER NODES`) at that same
 * instant (a script is atomic: no key moves while it runs). A slot the view shows migrating is
 * then also read on the node its keys move to, after the source: keys only move from the source
 * to the target, so a key absent from the source when it was read was already on the target.
 * The two reads are merged per slot. A slot the view shows owned by another node is read there.
 * A slot whose owner does not answer is routed again after a slot map refresh (its replica may
 * have been promoted), at most {@link MaxReroutes} times; then it is reported: after yielding
 * every reachable key the walk throws `StorageListIncompleteError` naming the unreachable nodes
 * and slot ranges.
 */
export async function* listClusterKeys(listing: ClusterListing): AsyncGenerator<string> {
  const { cluster } = listing;
  // Wait (within the bound) for the client to be ready with a slot map.
  await listing.bounded(async () => undefined);
  const reroutes = new Uint8Array(ClusterSlotCount);
  const failures = new Map<string, number>();
  const unreachable = new Map<string, number[]>();
  const queue = batchesByOwner(
    cluster,
    Array.from({ length: ClusterSlotCount }, (_, slot) => slot),
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
    queue.push(...(node === undefined ? batchesByOwner(cluster, again) : chunk(node, again)));
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
    if (read.rest.length > 0) queue.unshift({ node, slots: read.rest });
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

/** One batch's outcome: the keys of each slot read, slots of other nodes, slots not reached. */
interface BatchRead {
  readonly keys: Map<number, Set<string>>;
  readonly elsewhere: Map<string, number[]>;
  /** Slots of the batch the node did not get to (the key budget was reached first). */
  readonly rest: number[];
}

async function readBatch(
  listing: ClusterListing,
  address: string,
  slots: readonly number[],
): Promise<BatchRead> {
  await knownNode(listing, address);
  const sorted = [...slots].sort((a, b) => a - b);
  const read = await readSlots(listing, address, sorted);
  const view = parseClusterNodes(read.nodes);
  const keys = new Map<number, Set<string>>();
  const elsewhere = new Map<string, number[]>();
  const targets = new Map<string, number[]>();
  for (const [slot, found] of read.keys) {
    const owner = view.ownerOf(slot);
    if (owner !== view.self) {
      // Not this node's slot (any more): read it where this node says it lives.
      addTo(elsewhere, owner ?? address, slot);
      continue;
    }
    keys.set(slot, new Set(found));
    const target = view.migrating.get(slot);
    if (target !== undefined) addTo(targets, target, slot);
  }
  for (const [target, moving] of targets) {
    await knownNode(listing, target);
    let pending: readonly number[] = moving;
    while (pending.length > 0) {
      const more = await readSlots(listing, target, pending);
      for (const [slot, found] of more.keys) {
        const merged = keys.get(slot);
        if (merged === undefined) keys.set(slot, new Set(found));
        else for (const key of found) merged.add(key);
      }
      pending = pending.slice(more.keys.size);
    }
  }
  return { keys, elsewhere, rest: sorted.slice(read.keys.size) };
}

/**
 * One run of {@link ReadSlotsScript} over `slots` (ascending): the node's view, and the keys of
 * the first slots it read.
 */
async function readSlots(
  listing: ClusterListing,
  address: string,
  slots: readonly number[],
): Promise<{ nodes: string; keys: Map<number, string[]> }> {
  const args = [String(listing.keysPerRoundTrip), ...ranges(slots).flat().map(String)];
  const reply = await listing.bounded(() => listing.cluster.evalOn(address, ReadSlotsScript, args));
  if (!Array.isArray(reply) || typeof reply[0] !== "string") {
    throw new StorageUnavailableError("Redis listIds failed: unexpected reply to the slot read");
  }
  const keys = new Map<number, string[]>();
  let at = 1;
  for (const slot of slots) {
    if (at >= reply.length) break;
    const count = Number(reply[at]);
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new StorageUnavailableError("Redis listIds failed: unexpected reply to the slot read");
    }
    keys.set(slot, reply.slice(at + 1, at + 1 + count) as string[]);
    at += 1 + count;
  }
  if (keys.size === 0) {
    throw new StorageUnavailableError("Redis listIds failed: the slot read returned no slot");
  }
  return { nodes: reply[0], keys };
}

/** One node's view of the Cluster: who owns each slot and which of its slots are migrating where. */
interface NodeView {
  /** The asked node's address, `host:port`. */
  readonly self: string;
  /** The owner's address of a slot. */
  ownerOf(slot: number): string | undefined;
  /** The asked node's migrating slots and the address each one moves to. */
  readonly migrating: Map<number, string>;
}

/**
 * Parses `CLUSTER NODES`: each line is
 * `<id> <ip:port@cport[,hostname]> <flags> <primary> <ping> <pong> <epoch> <link> <slot>...`,
 * where a slot is `n` or `first-last`, and the asked node's own line (flag `myself`) also lists
 * `[slot->-<target id>]` for a slot it is migrating out.
 */
export function parseClusterNodes(text: string): NodeView {
  const owned: [first: number, last: number, address: string][] = [];
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
      owned.push([first, last, address]);
    }
  }
  const migrating = new Map<number, string>();
  for (const [slot, targetId] of selfMigrating) {
    const target = addressById.get(targetId);
    if (target !== undefined) migrating.set(slot, target);
  }
  const ownerOf = (slot: number): string | undefined =>
    owned.find(([first, last]) => slot >= first && slot <= last)?.[2];
  return { self, ownerOf, migrating };
}

/**
 * Makes sure the client knows the node at `address` (as `CLUSTER NODES` or the slot map names
 * it), refreshing the slot map once if it does not.
 * @throws {StorageUnavailableError} when it still does not.
 */
async function knownNode(listing: ClusterListing, address: string): Promise<void> {
  if (listing.cluster.knows(address)) return;
  await refreshSlots(listing);
  if (!listing.cluster.knows(address)) {
    throw new StorageUnavailableError(`Redis listIds failed: no connection to node ${address}`);
  }
}

/** Asks the client to refresh its slot map and waits for it, within the bound. */
async function refreshSlots(listing: ClusterListing): Promise<void> {
  try {
    await listing.bounded(() => listing.cluster.refresh());
  } catch (error) {
    if (!(error instanceof StorageUnavailableError)) throw error;
    // The map stays as it was; the slots are retried or reported.
  }
}

/** `slots` grouped by their owner in the client's slot map, in batches of at most one round trip. */
function batchesByOwner(cluster: ClusterNodes, slots: readonly number[]): Batch[] {
  const byOwner = new Map<string | undefined, number[]>();
  for (const slot of slots) {
    const owner = cluster.ownerOf(slot);
    const list = byOwner.get(owner);
    if (list === undefined) byOwner.set(owner, [slot]);
    else list.push(slot);
  }
  return [...byOwner].flatMap(([owner, owned]) => chunk(owner, owned));
}

function chunk(node: string | undefined, slots: readonly number[]): Batch[] {
  const batches: Batch[] = [];
  for (let i = 0; i < slots.length; i += SlotsPerRoundTrip) {
    batches.push({ node, slots: slots.slice(i, i + SlotsPerRoundTrip) });
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
