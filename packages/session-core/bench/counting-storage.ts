import { ReferenceStorage } from "@vmcp/session-core/testing";

/**
 * The contract-correct `ReferenceStorage` (session-core may not depend on a store), with its
 * call counts summed into reads and writes, so the table can show what a cache miss costs in
 * storage calls.
 */
export class CountingStorage extends ReferenceStorage {
  /** `load` calls so far. */
  get reads(): number {
    return this.calls.load;
  }

  /** `create`, `update`, `touch` and `delete` calls so far. */
  get writes(): number {
    const { create, update, touch, delete: deletes } = this.calls;
    return create + update + touch + deletes;
  }
}
