import { StorageUnavailableError } from "@vmcp/session-core";
import type { RedisStorage } from "@vmcp/store-redis";

/** One acknowledged write of a {@link WriteStream}. */
export interface Acknowledged {
  /** The write's sequence number. */
  readonly n: number;
  /** `create` of session `c-<n>`, or `update` of the writer's session with key `k-<n>`. */
  readonly kind: "create" | "update";
  /** The session written. */
  readonly id: string;
  /** When the storage acknowledged it, epoch ms. */
  readonly at: number;
}

/** Pause of a writer after each acknowledged write, ms (a steady stream, not a flood). */
const PaceMs = 5;

/** Pause of a writer after a rejected write, ms (the fault is not hammered). */
const BackoffMs = 20;

/**
 * A steady stream of creates and updates through one storage, by `writers` concurrent writers
 * (each alternating: create a new session `c-<n>`, add key `k-<n>` to its own session `u-<w>`).
 * It records every acknowledged write with its time, and every typed rejection; anything else a
 * write throws stops the stream and is kept in {@link unexpected}.
 */
export class WriteStream {
  readonly acknowledged: Acknowledged[] = [];
  readonly rejected: StorageUnavailableError[] = [];
  readonly unexpected: unknown[] = [];
  readonly #storage: RedisStorage;
  readonly #writers: number;
  #sequence = 0;
  #stopped = false;
  #running: Promise<void>[] = [];

  constructor(storage: RedisStorage, writers = 4) {
    this.#storage = storage;
    this.#writers = writers;
  }

  /** Creates the writers' sessions (retrying typed failures), then starts the writers. */
  async start(): Promise<void> {
    for (let w = 0; w < this.#writers; w++) {
      for (;;) {
        try {
          await this.#storage.create({ id: `u-${w}` });
          break;
        } catch (error) {
          if (!(error instanceof StorageUnavailableError)) throw error;
          await sleep(BackoffMs);
        }
      }
    }
    this.#running = Array.from({ length: this.#writers }, (_, w) => this.#write(w));
  }

  /** Acknowledged writes so far, or those acknowledged after `since` (epoch ms). */
  acknowledgedSince(since = 0): number {
    let count = 0;
    for (const ack of this.acknowledged) if (ack.at > since) count++;
    return count;
  }

  /** Stops the writers and waits for their last writes to settle. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#running);
  }

  /**
   * The acknowledged writes that `reader` cannot read back (a created session missing or
   * different, an update's key missing from its session).
   */
  async missing(reader: RedisStorage): Promise<Acknowledged[]> {
    const sessions = new Map<string, Record<string, string> | undefined>();
    for (let w = 0; w < this.#writers; w++) {
      sessions.set(`u-${w}`, (await reader.load(`u-${w}`))?.metadata);
    }
    const lost: Acknowledged[] = [];
    const creates = this.acknowledged.filter((ack) => ack.kind === "create");
    for (let i = 0; i < creates.length; i += 200) {
      const chunk = creates.slice(i, i + 200);
      const loaded = await Promise.all(chunk.map((ack) => reader.load(ack.id)));
      chunk.forEach((ack, j) => {
        if (loaded[j]?.metadata.n !== String(ack.n)) lost.push(ack);
      });
    }
    for (const ack of this.acknowledged) {
      if (ack.kind === "update" && sessions.get(ack.id)?.[`k-${ack.n}`] !== String(ack.n)) {
        lost.push(ack);
      }
    }
    return lost.sort((a, b) => a.n - b.n);
  }

  async #write(writer: number): Promise<void> {
    while (!this.#stopped && this.unexpected.length === 0) {
      const n = this.#sequence++;
      const kind = n % 2 === 0 ? "create" : "update";
      const id = kind === "create" ? `c-${n}` : `u-${writer}`;
      try {
        const done =
          kind === "create"
            ? await this.#storage.create({ id, metadata: { n: String(n) } })
            : await this.#storage.update(id, { set: { [`k-${n}`]: String(n) } });
        // A create of a fresh ID is never refused, and the writer's session is never deleted:
        // `false` means its session was lost.
        if (!done) throw new Error(`${kind} ${n} of ${id} answered false`);
        this.acknowledged.push({ n, kind, id, at: Date.now() });
        await sleep(PaceMs);
      } catch (error) {
        if (!(error instanceof StorageUnavailableError)) {
          this.unexpected.push(error);
          return;
        }
        this.rejected.push(error);
        await sleep(BackoffMs);
      }
    }
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves once `check()` is true, polling every 20 ms.
 * @throws {Error} naming `what` (and what `describe` says) after `timeoutMs`.
 */
export async function until(
  what: string,
  check: () => boolean,
  timeoutMs: number,
  describe: () => string = () => "",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms: ${what}; ${describe()}`);
    }
    await sleep(20);
  }
}
