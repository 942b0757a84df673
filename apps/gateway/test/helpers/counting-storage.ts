import type {
  ListOptions,
  LoadOptions,
  NewSession,
  SessionPatch,
  SessionRecord,
  SessionStorage,
  UpdateOptions,
} from "@vmcp/session-core";

/**
 * A `SessionStorage` that hands every call to `inner` unchanged and counts the `load`s of each
 * session ID, so a test can tell how many store reads a request cost. Closing it closes `inner`.
 */
export class LoadCountingStorage implements SessionStorage {
  readonly #inner: SessionStorage;
  readonly #loads = new Map<string, number>();

  constructor(inner: SessionStorage) {
    this.#inner = inner;
  }

  /** How many `load`s of `id` were made so far. */
  loadsOf(id: string): number {
    return this.#loads.get(id) ?? 0;
  }

  load(id: string, options?: LoadOptions): Promise<SessionRecord | undefined> {
    this.#loads.set(id, this.loadsOf(id) + 1);
    return this.#inner.load(id, options);
  }

  create(session: NewSession): Promise<boolean> {
    return this.#inner.create(session);
  }

  update(id: string, patch: SessionPatch, options?: UpdateOptions): Promise<boolean> {
    return this.#inner.update(id, patch, options);
  }

  touch(id: string, expiresAt: number): Promise<boolean> {
    return this.#inner.touch(id, expiresAt);
  }

  delete(id: string): Promise<boolean> {
    return this.#inner.delete(id);
  }

  listIds(options?: ListOptions): AsyncIterable<string> {
    return this.#inner.listIds(options);
  }

  ping(): Promise<void> {
    return this.#inner.ping();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
