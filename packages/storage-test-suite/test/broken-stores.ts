import type { SessionPatch, SessionRecord, UpdateOptions } from "@vmcp/session-core";
import { ReferenceStorage } from "@vmcp/session-core/testing";

/** Hands out the stored record itself instead of a copy. */
export class SharingStorage extends ReferenceStorage {
  protected override copy(record: SessionRecord): SessionRecord {
    return record;
  }
}

/** An update of a missing session creates it. */
export class ResurrectingStorage extends ReferenceStorage {
  override async update(
    id: string,
    patch: SessionPatch,
    options?: UpdateOptions,
  ): Promise<boolean> {
    if (this.live(id) === undefined) await this.create({ id });
    return super.update(id, patch, options);
  }
}

/** Never lets a session expire. */
export class DeadlineIgnoringStorage extends ReferenceStorage {
  protected override live(id: string): SessionRecord | undefined {
    return this.records.get(id);
  }
}

/** Read-modify-write across an await: concurrent writers overwrite each other. */
export class LostUpdateStorage extends ReferenceStorage {
  override async update(
    id: string,
    patch: SessionPatch,
    options?: UpdateOptions,
  ): Promise<boolean> {
    const before = this.live(id);
    await new Promise((resolve) => setImmediate(resolve));
    if (before === undefined) return super.update(id, patch, options);
    this.records.set(id, before);
    return super.update(id, patch, options);
  }
}

/** Takes any string as a session ID. */
export class LaxIdStorage extends ReferenceStorage {
  protected override checkId(): void {}
}

/** Keeps working after close(). */
export class NeverClosingStorage extends ReferenceStorage {
  protected override checkOpen(): void {}
}
