import type {
  NewSession,
  SessionPatch,
  SessionRecord,
  SessionStorage,
  UpdateOptions,
} from "@vmcp/session-core";
import { SessionVersionConflictError } from "@vmcp/session-core";

/**
 * A Map-backed `SessionStorage` for the benchmark (session-core may not depend on a store),
 * counting reads and writes so the table can show what a cache miss costs in storage calls.
 */
export class CountingStorage implements SessionStorage {
  readonly #records = new Map<string, SessionRecord>();
  reads = 0;
  writes = 0;

  async create(session: NewSession): Promise<boolean> {
    this.writes++;
    if (this.#records.has(session.id)) return false;
    const now = Date.now();
    this.#records.set(session.id, {
      id: session.id,
      createdAt: now,
      updatedAt: now,
      version: 1,
      metadata: { ...session.metadata },
      ...(session.expiresAt === undefined ? {} : { expiresAt: session.expiresAt }),
    });
    return true;
  }

  async update(id: string, patch: SessionPatch, options?: UpdateOptions): Promise<boolean> {
    this.writes++;
    const record = this.#records.get(id);
    if (record === undefined) return false;
    if (options?.ifVersion !== undefined && options.ifVersion !== record.version) {
      throw new SessionVersionConflictError(id, options.ifVersion);
    }
    const metadata = { ...record.metadata, ...patch.set };
    for (const key of patch.remove ?? []) delete metadata[key];
    this.#records.set(id, { ...record, metadata, version: record.version + 1 });
    return true;
  }

  async load(id: string): Promise<SessionRecord | undefined> {
    this.reads++;
    const record = this.#records.get(id);
    return record === undefined ? undefined : { ...record, metadata: { ...record.metadata } };
  }

  async touch(id: string, expiresAt: number): Promise<boolean> {
    this.writes++;
    const record = this.#records.get(id);
    if (record === undefined) return false;
    this.#records.set(id, { ...record, expiresAt });
    return true;
  }

  async delete(id: string): Promise<boolean> {
    this.writes++;
    return this.#records.delete(id);
  }

  async *listIds(): AsyncIterable<string> {
    yield* this.#records.keys();
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
