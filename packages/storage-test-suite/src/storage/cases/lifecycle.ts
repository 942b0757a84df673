import assert from "node:assert/strict";
import { StorageClosedError } from "@vmcp/session-core/storage";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { SuiteContext } from "../context.js";
import { collect, inMs } from "../helpers.js";

function isClosed(error: unknown): boolean {
  return error instanceof StorageClosedError && error.code === "VMCP_STORAGE_CLOSED";
}

/** ping and close. */
export function lifecycleCases(t: TestApi, ctx: SuiteContext): void {
  t.it("ping resolves on an open storage", async () => {
    await ctx.storage().ping();
  });

  t.it("close is idempotent, and every call after it rejects with StorageClosedError", async () => {
    const storage = ctx.storage();
    const id = newId();
    await storage.create({ id });
    await storage.close();
    await storage.close();
    await assert.rejects(async () => storage.create({ id: newId() }), isClosed);
    await assert.rejects(async () => storage.update(id, { set: { a: "1" } }), isClosed);
    await assert.rejects(async () => storage.load(id), isClosed);
    await assert.rejects(async () => storage.touch(id, inMs(60_000)), isClosed);
    await assert.rejects(async () => storage.delete(id), isClosed);
    await assert.rejects(async () => storage.ping(), isClosed);
    await assert.rejects(async () => collect(storage.listIds()), isClosed);
  });
}
