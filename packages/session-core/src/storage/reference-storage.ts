import { MapStorage } from "./map-storage.js";
import type { NewSession, SessionPatch, SessionRecord } from "./session-record.js";
import type { ListOptions, LoadOptions, UpdateOptions } from "./session-storage.js";

/**
 * The plainest contract-correct `SessionStorage`: the in-process semantics of `MapStorage` (the
 * same code as `@vmcp/store-memory`'s `MemoryStorage`) over an unbounded `Map`, for unit tests
 * (yours and ours), with every call counted. It checks every input as a real store does,
 * honours absolute deadlines (epoch ms; a passed one means gone), never resurrects on update,
 * hands out copies and refuses every call after `close()` with `StorageClosedError`. It passes
 * the conformance suite of `@vmcp/storage-test-suite`. Not for production: nothing bounds it;
 * use `@vmcp/store-memory` there.
 *
 * Subclasses may read and change {@link records} directly (to stage another replica's write),
 * and override the public methods to count or delay calls: no public method calls another.
 */
export class ReferenceStorage extends MapStorage {
  /** The stored records by session ID, including expired ones not yet looked at. */
  declare protected readonly records: Map<string, SessionRecord>;
  /**
   * Calls made so far, by method (counted on entry, refused ones too), for tests that check how
   * much storage work their code does.
   */
  readonly calls = { create: 0, update: 0, load: 0, touch: 0, delete: 0, listIds: 0 };

  constructor() {
    super({ records: new Map<string, SessionRecord>() });
  }

  override async create(session: NewSession): Promise<boolean> {
    this.calls.create++;
    return super.create(session);
  }

  override async update(
    id: string,
    patch: SessionPatch,
    options?: UpdateOptions,
  ): Promise<boolean> {
    this.calls.update++;
    return super.update(id, patch, options);
  }

  override async load(id: string, options?: LoadOptions): Promise<SessionRecord | undefined> {
    this.calls.load++;
    return super.load(id, options);
  }

  override async touch(id: string, expiresAt: number): Promise<boolean> {
    this.calls.touch++;
    return super.touch(id, expiresAt);
  }

  override async delete(id: string): Promise<boolean> {
    this.calls.delete++;
    return super.delete(id);
  }

  override async *listIds(options?: ListOptions): AsyncIterable<string> {
    this.calls.listIds++;
    yield* super.listIds(options);
  }
}
