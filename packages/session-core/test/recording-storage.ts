import {
  type NewSession,
  type SessionPatch,
  type SessionRecord,
  type SessionStorage,
  SessionVersionConflictError,
  type UpdateOptions,
} from "@vmcp/session-core";

/**
 * A tiny in-test `SessionStorage` double (session-core must not depend on a store): a Map of
 * records with versions, counting calls, and a hook that runs just before each update is applied
 * (to stage a concurrent writer).
 */
export class MapStorage implements SessionStorage {
  readonly records = new Map<string, SessionRecord>();
  readonly counts = { create: 0, update: 0, load: 0, delete: 0, touch: 0 };
  readonly updates: Array<{ id: string; patch: SessionPatch; options: UpdateOptions | undefined }> =
    [];
  beforeUpdate: ((id: string) => void) | undefined;

  async create(session: NewSession): Promise<boolean> {
    this.counts.create++;
    if (this.records.has(session.id)) return false;
    const now = Date.now();
    this.records.set(session.id, {
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
    this.counts.update++;
    this.updates.push({ id, patch, options });
    const hook = this.beforeUpdate;
    this.beforeUpdate = undefined;
    hook?.(id);
    const record = this.records.get(id);
    if (record === undefined) return false;
    if (options?.ifVersion !== undefined && options.ifVersion !== record.version) {
      throw new SessionVersionConflictError(id, options.ifVersion);
    }
    const metadata = { ...record.metadata, ...patch.set };
    for (const key of patch.remove ?? []) delete metadata[key];
    this.records.set(id, {
      ...record,
      metadata,
      version: record.version + 1,
      updatedAt: Date.now(),
    });
    return true;
  }

  /** A write by "another replica": sets one key unconditionally. */
  writeKey(id: string, key: string, value: string): void {
    const record = this.records.get(id);
    if (record === undefined) throw new Error(`no session ${id}`);
    this.records.set(id, {
      ...record,
      metadata: { ...record.metadata, [key]: value },
      version: record.version + 1,
    });
  }

  async load(
    id: string,
    options?: { slideExpiresAt?: number },
  ): Promise<SessionRecord | undefined> {
    this.counts.load++;
    const record = this.records.get(id);
    if (record === undefined) return undefined;
    const slid =
      options?.slideExpiresAt === undefined
        ? record
        : { ...record, expiresAt: options.slideExpiresAt };
    this.records.set(id, slid);
    return { ...slid, metadata: { ...slid.metadata } };
  }

  async touch(id: string, expiresAt: number): Promise<boolean> {
    this.counts.touch++;
    const record = this.records.get(id);
    if (record === undefined) return false;
    this.records.set(id, { ...record, expiresAt });
    return true;
  }

  async delete(id: string): Promise<boolean> {
    this.counts.delete++;
    return this.records.delete(id);
  }

  async *listIds(): AsyncIterable<string> {
    yield* [...this.records.keys()];
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
