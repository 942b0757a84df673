import type {
  LoadOptions,
  NewSession,
  SessionPatch,
  SessionRecord,
  UpdateOptions,
} from "@vmcp/session-core";
import { ReferenceStorage } from "@vmcp/session-core/testing";

/**
 * The contract-correct `ReferenceStorage` (session-core may not depend on a store), counting
 * reads and writes so the table can show what a cache miss costs in storage calls.
 */
export class CountingStorage extends ReferenceStorage {
  reads = 0;
  writes = 0;

  override async create(session: NewSession): Promise<boolean> {
    this.writes++;
    return super.create(session);
  }

  override async update(
    id: string,
    patch: SessionPatch,
    options?: UpdateOptions,
  ): Promise<boolean> {
    this.writes++;
    return super.update(id, patch, options);
  }

  override async load(id: string, options?: LoadOptions): Promise<SessionRecord | undefined> {
    this.reads++;
    return super.load(id, options);
  }

  override async touch(id: string, expiresAt: number): Promise<boolean> {
    this.writes++;
    return super.touch(id, expiresAt);
  }

  override async delete(id: string): Promise<boolean> {
    this.writes++;
    return super.delete(id);
  }
}
