import type {
  LoadOptions,
  NewSession,
  SessionPatch,
  SessionRecord,
  UpdateOptions,
} from "@vmcp/session-core";
import { ReferenceStorage } from "@vmcp/session-core/testing";

/**
 * The contract-correct `ReferenceStorage` (input checks, deadlines, no resurrection), recording
 * for the manager's unit tests: it counts calls, logs updates, exposes its records (to stage or
 * inspect another replica's view), and runs a hook just before an update is applied (to stage a
 * concurrent writer).
 */
export class RecordingStorage extends ReferenceStorage {
  /** The stored records by session ID (the reference store's own map, made public here). */
  declare readonly records: Map<string, SessionRecord>;
  readonly counts = { create: 0, update: 0, load: 0, delete: 0, touch: 0 };
  readonly updates: Array<{ id: string; patch: SessionPatch; options: UpdateOptions | undefined }> =
    [];
  /** Runs once, just before the next update is applied. */
  beforeUpdate: ((id: string) => void) | undefined;

  override async create(session: NewSession): Promise<boolean> {
    this.counts.create++;
    return super.create(session);
  }

  override async update(
    id: string,
    patch: SessionPatch,
    options?: UpdateOptions,
  ): Promise<boolean> {
    this.counts.update++;
    this.updates.push({ id, patch, options });
    const hook = this.beforeUpdate;
    this.beforeUpdate = undefined;
    hook?.(id);
    return super.update(id, patch, options);
  }

  override async load(id: string, options?: LoadOptions): Promise<SessionRecord | undefined> {
    this.counts.load++;
    return super.load(id, options);
  }

  override async touch(id: string, expiresAt: number): Promise<boolean> {
    this.counts.touch++;
    return super.touch(id, expiresAt);
  }

  override async delete(id: string): Promise<boolean> {
    this.counts.delete++;
    return super.delete(id);
  }

  /** A write by "another replica": sets one key unconditionally, bumping the version. */
  writeKey(id: string, key: string, value: string): void {
    const record = this.records.get(id);
    if (record === undefined) throw new Error(`no session ${id}`);
    this.records.set(id, {
      ...record,
      metadata: { ...record.metadata, [key]: value },
      version: record.version + 1,
    });
  }
}
