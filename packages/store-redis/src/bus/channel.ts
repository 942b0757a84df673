import { KeyLayout } from "../storage/key-layout.js";

/** What follows a session's key to make its bus channel: `<prefix>{<id>}:bus`. */
export const BusChannelSuffix = ":bus";

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
