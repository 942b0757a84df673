import { randomBytes } from "node:crypto";

/** The most publishers whose last sequence number one channel remembers. */
const MaxPublishersPerChannel = 256;

/**
 * Stamps each message a bus publishes on a Cluster with the bus's own ID and a sequence number
 * (`<id>:<seq>\n<message>`). A sharded subscription moves from a shard's old primary to its new
 * one across a failover, and for a moment both connections can carry the same message (the new
 * primary sends it directly, the demoted one through replication): the stamp lets the receiving
 * bus deliver it once, and never after a later message of the same publisher.
 */
export class PublisherStamp {
  readonly #id = randomBytes(9).toString("base64url");
  #seq = 0;

  /** `message` with this publisher's next stamp in front. Call in publish order. */
  stamp(message: string): string {
    this.#seq++;
    return `${this.#id}:${this.#seq}\n${message}`;
  }
}

/**
 * What one channel's subscriptions accept of stamped messages: from each publisher, only a
 * sequence number above the last one delivered. Keeps at most
 * {@link MaxPublishersPerChannel} publishers (the least recently heard is forgotten first).
 */
export class DeliveryFilter {
  readonly #last = new Map<string, number>();

  /** The message without its stamp, or `undefined` for a repeat, an older one or no stamp. */
  accept(wire: string): string | undefined {
    const end = wire.indexOf("\n");
    const colon = wire.lastIndexOf(":", end);
    if (end < 0 || colon <= 0) return undefined;
    const publisher = wire.slice(0, colon);
    const seq = Number(wire.slice(colon + 1, end));
    if (!Number.isSafeInteger(seq)) return undefined;
    const last = this.#last.get(publisher);
    if (last !== undefined && seq <= last) return undefined;
    this.#last.delete(publisher);
    this.#last.set(publisher, seq);
    if (this.#last.size > MaxPublishersPerChannel) {
      const oldest = this.#last.keys().next().value;
      if (oldest !== undefined) this.#last.delete(oldest);
    }
    return wire.slice(end + 1);
  }
}
