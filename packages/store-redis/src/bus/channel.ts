import { KeyLayout } from "../storage/key-layout.js";

/** What follows a session's key to make its bus channel: `<prefix>{<id>}:bus`. */
export const BusChannelSuffix = ":bus";

/** The number of hash slots of a Redis Cluster. */
export const ClusterSlotCount = 16_384;

/**
 * The pub/sub channel of each session: `<prefix>{<id>}:bus`, the session's key (see
 * `KeyLayout`) plus `:bus`. Its hash tag is the session's, so on a Cluster the channel hashes to
 * the slot of the session's keys and `SPUBLISH`/`SSUBSCRIBE` go to the shard that owns the
 * session. The prefix is `RedisStorage`'s `keyPrefix`, so a bus and a storage given the same
 * configuration agree.
 */
export class BusChannels {
  readonly #layout: KeyLayout;

  /** @throws {TypeError} when `prefix` holds `{` or `}`. */
  constructor(prefix?: string) {
    this.#layout = new KeyLayout(prefix);
  }

  /** The key prefix the channels are built on. */
  get prefix(): string {
    return this.#layout.prefix;
  }

  /** The channel of session `id` (the ID must already be valid). */
  channelOf(id: string): string {
    return `${this.#layout.sessionKey(id)}${BusChannelSuffix}`;
  }
}

/**
 * The Cluster hash slot of `key`, as Redis computes it: CRC16 (XMODEM) of the key's hash tag
 * (the text between the first `{` and the next `}`, when not empty) or of the whole key, modulo
 * 16,384.
 */
export function hashSlot(key: string): number {
  const bytes = Buffer.from(key, "utf8");
  let start = 0;
  let end = bytes.length;
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc ^= (bytes[i] as number) << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc % ClusterSlotCount;
}
