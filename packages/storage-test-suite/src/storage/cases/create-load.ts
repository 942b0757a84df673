import assert from "node:assert/strict";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { SuiteContext } from "../context.js";
import { inMs } from "../helpers.js";

/** create-if-absent and load: what is stored is what comes back. */
export function createAndLoadCases(t: TestApi, ctx: SuiteContext): void {
  t.it("create stores a session that load returns with version 1 and its timestamps", async () => {
    const id = newId();
    const before = Date.now();
    assert.equal(await ctx.storage().create({ id, metadata: { a: "1" } }), true);
    const after = Date.now();
    const record = await ctx.storage().load(id);
    assert.ok(record, "the created session loads");
    assert.equal(record.id, id);
    assert.deepEqual(record.metadata, { a: "1" });
    assert.equal(record.version, 1);
    assert.ok(record.createdAt >= before - 1000 && record.createdAt <= after + 1000);
    assert.equal(record.updatedAt, record.createdAt);
    assert.equal(record.expiresAt, undefined);
  });

  t.it("load of an unknown session is undefined, not an error", async () => {
    assert.equal(await ctx.storage().load(newId()), undefined);
  });

  t.it("create without metadata stores an empty metadata map", async () => {
    const id = newId();
    assert.equal(await ctx.storage().create({ id }), true);
    assert.deepEqual((await ctx.storage().load(id))?.metadata, {});
  });

  t.it("create keeps the exact absolute deadline it was given", async () => {
    const id = newId();
    const expiresAt = inMs(60_000);
    await ctx.storage().create({ id, expiresAt });
    assert.equal((await ctx.storage().load(id))?.expiresAt, expiresAt);
  });

  t.it("create of a taken ID returns false and leaves the first session untouched", async () => {
    const id = newId();
    await ctx.storage().create({ id, metadata: { owner: "first" } });
    assert.equal(await ctx.storage().create({ id, metadata: { owner: "second" } }), false);
    const record = await ctx.storage().load(id);
    assert.deepEqual(record?.metadata, { owner: "first" });
    assert.equal(record?.version, 1);
  });

  t.it("create with a deadline already past stores nothing and returns false", async () => {
    const id = newId();
    assert.equal(await ctx.storage().create({ id, expiresAt: Date.now() - 1 }), false);
    assert.equal(await ctx.storage().load(id), undefined);
  });

  t.it("a session written by one replica is read by another", async () => {
    const id = newId();
    await ctx.storage().create({ id, metadata: { k: "v" } });
    const replica = await ctx.replica();
    assert.deepEqual((await replica.load(id))?.metadata, { k: "v" });
  });
}
