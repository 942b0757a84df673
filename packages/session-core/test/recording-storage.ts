import type { SessionPatch, SessionRecord, UpdateOptions } from "@vmcp/session-core";
import { ReferenceStorage } from "@vmcp/session-core/testing";

/**
 * The contract-correct `ReferenceStorage` (input checks, deadlines, no resurrection; it counts
 * calls in `calls`), recording more for the manager's unit tests: it logs updates, exposes its
 * records (to stage or inspect another replica's view), and runs a hook just before an update is
 * applied (to stage a concurrent writer).
 */
export class RecordingStorage extends ReferenceStorage {
  /** The stored records by session ID (the reference store's own map, made public here). */
  declare readonly records: Map<string, SessionRecord>;
  readonly updates: Array<{ id: string; patch: SessionPatch; options: UpdateOptions | undefined }> =
    [];
  /** Runs once, just before the next update is applied. */
  beforeUpdate: ((id: string) => void) | undefined;

  override async update(
    id: string,
    patch: SessionPatch,
    options?: UpdateOptions,
  ): Promise<boolean> {
    this.updates.push({ id, patch, options });
    const hook = this.beforeUpdate;
    this.beforeUpdate = undefined;
    hook?.(id);
    return super.update(id, patch, options);
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
