import {
  assertValidSessionId,
  checkDeadline,
  checkNewSession,
  checkPatch,
  checkVersion,
  type LoadOptions,
  type NewSession,
  type SessionPatch,
  type SessionRecord,
  type SessionStorage,
  SessionVersionConflictError,
  StorageClosedError,
  type UpdateOptions,
} from "@vmcp/session-core";

/**
 * The plainest correct `SessionStorage`: a Map of records. The suite's own tests run the suite
 * against it (everything must pass) and against subclasses that break one rule each (the suite
 * must notice). Real stores live in their own packages.
 */
export class ReferenceStorage implements SessionStorage {
  protected readonly records = new Map<string, SessionRecord>();
  #closed = false;

  async create(session: NewSession): Promise<boolean> {
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
    this.checkOpen();
    this.checkId(id);
    if (options?.slideExpiresAt !== undefined)
      checkDeadline(options.slideExpiresAt, "slideExpiresAt");
    const record = this.live(id);
    if (record === undefined) return undefined;
    if (options?.slideExpiresAt !== undefined) {
      if (!(await this.touch(id, options.slideExpiresAt))) return undefined;
      return this.load(id);
    }
    return this.copy(record);
  }

  async touch(id: string, expiresAt: number): Promise<boolean> {
    this.checkOpen();
    this.checkId(id);
    checkDeadline(expiresAt, "expiresAt");
    const record = this.live(id);
    if (record === undefined) return false;
    if (expiresAt <= Date.now()) this.records.delete(id);
    else this.records.set(id, { ...record, expiresAt });
    return true;
  }

  async delete(id: string): Promise<boolean> {
    this.checkOpen();
    this.checkId(id);
    const existed = this.live(id) !== undefined;
    this.records.delete(id);
    return existed;
  }

  async *listIds(): AsyncIterable<string> {
    this.checkOpen();
    for (const id of [...this.records.keys()]) if (this.live(id) !== undefined) yield id;
  }

  async ping(): Promise<void> {
    this.checkOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  protected live(id: string): SessionRecord | undefined {
    const record = this.records.get(id);
    if (record?.expiresAt !== undefined && record.expiresAt <= Date.now()) {
      this.records.delete(id);
      return undefined;
    }
    return record;
  }

  protected copy(record: SessionRecord): SessionRecord {
    return { ...record, metadata: { ...record.metadata } };
  }

  protected checkId(id: string): void {
    assertValidSessionId(id);
  }

  protected checkOpen(): void {
    if (this.#closed) throw new StorageClosedError();
  }
}
