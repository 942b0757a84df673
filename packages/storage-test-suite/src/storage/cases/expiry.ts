import assert from "node:assert/strict";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { SuiteContext } from "../context.js";
import { collect, inMs, shortDeadline, waitPast } from "../helpers.js";

/** Absolute deadlines: a passed deadline means gone, everywhere. */
export function expiryCases(t: TestApi, ctx: SuiteContext): void {
  t.it(
    "a session is gone once its deadline passes: load, touch, delete and list agree",
    async () => {
      const id = newId();
      const deadline = await shortDeadline(ctx.storage());
      await ctx.storage().create({ id, expiresAt: deadline });
      assert.ok(await ctx.storage().load(id), "alive before the deadline");
      await waitPast(deadline);
      assert.equal(await ctx.storage().load(id), undefined);
      assert.equal(await ctx.storage().touch(id, inMs(60_000)), false);
      assert.equal(await ctx.storage().delete(id), false);
      assert.deepEqual(await collect(ctx.storage().listIds()), []);
    },
  );

  t.it("an expired ID can be created again, starting over at version 1", async () => {
    const id = newId();
    const deadline = await shortDeadline(ctx.storage());
    await ctx.storage().create({ id, metadata: { old: "1" }, expiresAt: deadline });
    await waitPast(deadline);
    assert.equal(await ctx.storage().create({ id, metadata: { new: "1" } }), true);
    const record = await ctx.storage().load(id);
    assert.deepEqual(record?.metadata, { new: "1" });
    assert.equal(record?.version, 1);
  });

  t.it("load with slideExpiresAt moves the deadline in the same call", async () => {
    const id = newId();
    const deadline = await shortDeadline(ctx.storage());
    await ctx.storage().create({ id, expiresAt: deadline });
    const slid = inMs(60_000);
    const record = await ctx.storage().load(id, { slideExpiresAt: slid });
    assert.equal(record?.expiresAt, slid);
    await waitPast(deadline);
    assert.equal((await ctx.storage().load(id))?.expiresAt, slid, "it outlives the old deadline");
  });

  t.it(
    "load with a slide to a past instant returns undefined and removes the session",
    async () => {
      const id = newId();
      await ctx.storage().create({ id, expiresAt: inMs(60_000) });
      assert.equal(await ctx.storage().load(id, { slideExpiresAt: Date.now() - 1 }), undefined);
      assert.equal(await ctx.storage().load(id), undefined);
    },
  );

  t.it("load of an unknown session with a slide creates nothing", async () => {
    const id = newId();
    assert.equal(await ctx.storage().load(id, { slideExpiresAt: inMs(60_000) }), undefined);
    assert.equal(await ctx.storage().load(id), undefined);
  });

  t.it("touch moves the deadline without changing metadata or version", async () => {
    const id = newId();
    const deadline = await shortDeadline(ctx.storage());
    await ctx.storage().create({ id, metadata: { a: "1" }, expiresAt: deadline });
    const later = inMs(60_000);
    assert.equal(await ctx.storage().touch(id, later), true);
    await waitPast(deadline);
    const record = await ctx.storage().load(id);
    assert.equal(record?.expiresAt, later);
    assert.deepEqual(record?.metadata, { a: "1" });
    assert.equal(record?.version, 1);
  });

  t.it(
    "touch with a past deadline deletes the session; touch of an unknown one is false",
    async () => {
      const id = newId();
      await ctx.storage().create({ id });
      assert.equal(await ctx.storage().touch(id, Date.now() - 1), true);
      assert.equal(await ctx.storage().load(id), undefined);
      assert.equal(await ctx.storage().touch(newId(), inMs(60_000)), false);
    },
  );
}
