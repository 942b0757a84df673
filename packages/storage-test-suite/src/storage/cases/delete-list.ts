import assert from "node:assert/strict";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { SuiteContext } from "../context.js";
import { collect, shortDeadline, waitPast } from "../helpers.js";

/** delete and listIds. */
export function deleteAndListCases(t: TestApi, ctx: SuiteContext): void {
  t.it("delete removes a session and reports whether it existed", async () => {
    const id = newId();
    await ctx.storage().create({ id });
    assert.equal(await ctx.storage().delete(id), true);
    assert.equal(await ctx.storage().load(id), undefined);
    assert.equal(await ctx.storage().delete(id), false);
  });

  t.it("a deleted ID can be created again, starting over at version 1", async () => {
    const id = newId();
    await ctx.storage().create({ id, metadata: { old: "1" } });
    await ctx.storage().update(id, { set: { old: "2" } });
    await ctx.storage().delete(id);
    assert.equal(await ctx.storage().create({ id }), true);
    const record = await ctx.storage().load(id);
    assert.deepEqual(record?.metadata, {});
    assert.equal(record?.version, 1);
  });

  t.it("a delete on one replica is seen by another at once", async () => {
    const id = newId();
    await ctx.storage().create({ id });
    const replica = await ctx.replica();
    assert.ok(await replica.load(id));
    await ctx.storage().delete(id);
    assert.equal(await replica.load(id), undefined);
  });

  t.it("listIds of an empty store yields nothing", async () => {
    assert.deepEqual(await collect(ctx.storage().listIds()), []);
  });

  t.it("listIds yields every live session across many small batches", async () => {
    const ids = Array.from({ length: 25 }, () => newId());
    await Promise.all(ids.map((id) => ctx.storage().create({ id })));
    const listed = await collect(ctx.storage().listIds({ batchSize: 3 }));
    assert.deepEqual(new Set(listed), new Set(ids));
  });

  t.it("listIds leaves out deleted and expired sessions", async () => {
    const kept = newId();
    const deleted = newId();
    const expired = newId();
    await ctx.storage().create({ id: kept });
    await ctx.storage().create({ id: deleted });
    const deadline = await shortDeadline(ctx.storage());
    await ctx.storage().create({ id: expired, expiresAt: deadline });
    await ctx.storage().delete(deleted);
    await waitPast(deadline);
    assert.deepEqual(await collect(ctx.storage().listIds()), [kept]);
  });
}
