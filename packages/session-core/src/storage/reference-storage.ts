import { SessionVersionConflictError, StorageClosedError } from "./errors.js";
import { assertValidSessionId } from "./session-id.js";
import type { NewSession, SessionPatch, SessionRecord } from "./session-record.js";
import type { LoadOptions, SessionStorage, UpdateOptions } from "./session-storage.js";
import { checkDeadline, checkNewSession, checkPatch, checkVersion } from "./storage-input.js";

/**
 * The plainest contract-correct `SessionStorage`: an unbounded `Map` of records in this process,
 * for unit tests (yours and ours). It checks every input as a real store does, honours absolute
 * deadlines (epoch ms; a passed one means gone), never resurrects on update, hands out copies and
 * refuses every call after `close()` with `StorageClosedError`. It passes the conformance suite
 * of `@vmcp/storage-test-suite`. Not for production: nothing bounds it and nothing sweeps expired
 * records until they are touched; use `@vmcp/store-memory` there.
 *
 * Subclasses may read and change {@link records} directly (to stage another replica's write),
 * and override the public methods to count or delay calls: no public method calls another.
 */
export class ReferenceStorage implements SessionStorage {
  /** The stored records by session ID, including expired ones not yet looked at. */
  protected readonly records = new Map<string, SessionRecord>();
  /**
   * Calls made so far, by method (counted on entry, refused ones too), for tests that check how
   * much storage work their code does.
   */
  readonly calls = { create: 0, update: 0, load: 0, touch: 0, delete: 0, listIds: 0 };
  #closed = false;

  async create(session: NewSession): Promise<boolean> {
    this.calls.create++;
    this.checkOpen();
    const metadata = checkNewSession(session);
    const now = Date.now();
    if (session.expiresAt !== undefined && session.expiresAt <= now) return false;
    if (this.live(session.id) !== undefined) return false;
    const base = { id: session.id, createdAt: now, updatedAt: now, version: 1, metadata };
    this.records.set(
      session.id,
      session.expiresAt === undefined ? base : { ...base, expiresAt: session.expiresAt },
    );
    return true;
  }

  async update(id: string, patch: SessionPatch, options?: UpdateOptions): Promise<boolean> {
    this.calls.update++;
    this.checkOpen();
    this.checkId(id);
    const change = checkPatch(patch);
    if (options?.ifVersion !== undefined) checkVersion(options.ifVersion);
    const record = this.live(id);
    if (record === undefined) return false;
    if (options?.ifVersion !== undefined && options.ifVersion !== record.version) {
      throw new SessionVersionConflictError(id, options.ifVersion);
    }
    const metadata = { ...record.metadata, ...change.set };
    for (const key of change.remove) delete metadata[key];
    const { expiresAt: _old, ...rest } = record;
    const expiresAt = change.expiresAt === undefined ? record.expiresAt : change.expiresAt;
    const next = { ...rest, metadata, updatedAt: Date.now(), version: record.version + 1 };
    this.records.set(id, expiresAt == null ? next : { ...next, expiresAt });
    if (expiresAt != null && expiresAt <= Date.now()) this.records.delete(id);
    return true;
  }

  async load(id: string, options?: LoadOptions): Promise<SessionRecord | undefined> {
    this.calls.load++;
    this.checkOpen();
    this.checkId(id);
    const slide = options?.slideExpiresAt;
    if (slide !== undefined) checkDeadline(slide, "slideExpiresAt");
    const record = this.live(id);
    if (record === undefined) return undefined;
    if (slide === undefined) return this.copy(record);
    if (!this.moveDeadline(id, record, slide)) return undefined;
    return this.copy({ ...record, expiresAt: slide });
  }

  async touch(id: string, expiresAt: number): Promise<boolean> {
    this.calls.touch++;
    this.checkOpen();
    this.checkId(id);
    checkDeadline(expiresAt, "expiresAt");
    const record = this.live(id);
    if (record === undefined) return false;
    this.moveDeadline(id, record, expiresAt);
    return true;
  }

  async delete(id: string): Promise<boolean> {
    this.calls.delete++;
    this.checkOpen();
    this.checkId(id);
    const existed = this.live(id) !== undefined;
    this.records.delete(id);
    return existed;
  }

  async *listIds(): AsyncIterable<string> {
    this.calls.listIds++;
    this.checkOpen();
    for (const id of [...this.records.keys()]) if (this.live(id) !== undefined) yield id;
  }

  async ping(): Promise<void> {
    this.checkOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** The record of `id` if it exists and its deadline has not passed (an expired one is dropped). */
  protected live(id: string): SessionRecord | undefined {
    const record = this.records.get(id);
    if (record?.expiresAt !== undefined && record.expiresAt <= Date.now()) {
      this.records.delete(id);
      return undefined;
    }
    return record;
  }

  /** Sets a new deadline (epoch ms); a passed one deletes the record. Whether it still lives. */
  protected moveDeadline(id: string, record: SessionRecord, expiresAt: number): boolean {
    if (expiresAt <= Date.now()) {
      this.records.delete(id);
      return false;
    }
    this.records.set(id, { ...record, expiresAt });
    return true;
  }

  /** A copy the caller may mutate without changing what is stored. */
  protected copy(record: SessionRecord): SessionRecord {
    return { ...record, metadata: { ...record.metadata } };
  }

  /** Throws `InvalidSessionIdError` for an ID no store accepts. */
  protected checkId(id: string): void {
    assertValidSessionId(id);
  }

  /** Throws `StorageClosedError` after {@link close}. */
  protected checkOpen(): void {
    if (this.#closed) throw new StorageClosedError();
  }
}
