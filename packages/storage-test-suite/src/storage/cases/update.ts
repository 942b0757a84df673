import assert from "node:assert/strict";
import { SessionVersionConflictError } from "@vmcp/session-core/storage";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { SuiteContext } from "../context.js";
import { inMs, shortDeadline, waitPast } from "../helpers.js";

/** update-if-present: patches apply atomically and never resurrect. */
export function updateCases(t: TestApi, ctx: SuiteContext): void {
  t.it("update sets keys, keeps the others, bumps the version and updatedAt", async () => {
    const id = newId();
    await ctx.storage().create({ id, metadata: { keep: "1", change: "old" } });
    const created = await ctx.storage().load(id);
    assert.equal(await ctx.storage().update(id, { set: { change: "new", add: "2" } }), true);
    const record = await ctx.storage().load(id);
    assert.deepEqual(record?.metadata, { keep: "1", change: "new", add: "2" });
    assert.equal(record?.version, 2);
    assert.equal(record?.createdAt, created?.createdAt);
    assert.ok(record && created && record.updatedAt >= created.updatedAt);
  });

  t.it("update removes keys, and removing an absent key is not an error", async () => {
    const id = newId();
    await ctx.storage().create({ id, metadata: { a: "1", b: "2" } });
    assert.equal(await ctx.storage().update(id, { remove: ["a", "never-there"] }), true);
    assert.deepEqual((await ctx.storage().load(id))?.metadata, { b: "2" });
  });

  t.it("update applies set and remove together (the backend-removal shape)", async () => {
    const id = newId();
    const metadata = {
      "vmcp.backend.ids": "a,b",
      "vmcp.backend.session.a": "sa",
      "vmcp.backend.session.b": "sb",
    };
    await ctx.storage().create({ id, metadata });
    await ctx.storage().update(id, {
      set: { "vmcp.backend.ids": "a" },
      remove: ["vmcp.backend.session.b"],
    });
    assert.deepEqual((await ctx.storage().load(id))?.metadata, {
      "vmcp.backend.ids": "a",
      "vmcp.backend.session.a": "sa",
    });
  });

  t.it("update of an unknown session returns false and creates nothing", async () => {
    const id = newId();
    assert.equal(await ctx.storage().update(id, { set: { a: "1" } }), false);
    assert.equal(await ctx.storage().load(id), undefined);
  });

  t.it("update never resurrects a deleted session", async () => {
    const id = newId();
    await ctx.storage().create({ id, metadata: { a: "1" } });
    await ctx.storage().delete(id);
    assert.equal(await ctx.storage().update(id, { set: { a: "2" } }), false);
    assert.equal(await ctx.storage().load(id), undefined);
  });

  t.it("update never resurrects an expired session", async () => {
    const id = newId();
    const deadline = await shortDeadline(ctx.storage());
    await ctx.storage().create({ id, metadata: { a: "1" }, expiresAt: deadline });
    await waitPast(deadline);
    assert.equal(await ctx.storage().update(id, { set: { a: "2" } }), false);
    assert.equal(await ctx.storage().load(id), undefined);
  });

  t.it("update with expiresAt null removes the deadline", async () => {
    const id = newId();
    const deadline = await shortDeadline(ctx.storage());
    await ctx.storage().create({ id, expiresAt: deadline });
    await ctx.storage().update(id, { expiresAt: null });
    await waitPast(deadline);
    const record = await ctx.storage().load(id);
    assert.ok(record, "the session outlives its old deadline");
    assert.equal(record.expiresAt, undefined);
  });

  t.it(
    "update with a new deadline moves it; with a past deadline deletes the session",
    async () => {
      const id = newId();
      await ctx.storage().create({ id, expiresAt: inMs(60_000) });
      const later = inMs(120_000);
      await ctx.storage().update(id, { expiresAt: later });
      assert.equal((await ctx.storage().load(id))?.expiresAt, later);
      await ctx.storage().update(id, { expiresAt: Date.now() - 1 });
      assert.equal(await ctx.storage().load(id), undefined);
    },
  );

  t.it(
    "update with a matching ifVersion applies; a stale one throws and changes nothing",
    async () => {
      const id = newId();
      await ctx.storage().create({ id, metadata: { a: "1" } });
      assert.equal(await ctx.storage().update(id, { set: { a: "2" } }, { ifVersion: 1 }), true);
      await assert.rejects(
        ctx.storage().update(id, { set: { a: "3" } }, { ifVersion: 1 }),
        (error: unknown) =>
          error instanceof SessionVersionConflictError &&
          error.code === "VMCP_SESSION_VERSION_CONFLICT" &&
          error.sessionId === id,
      );
      const record = await ctx.storage().load(id);
      assert.deepEqual(record?.metadata, { a: "2" });
      assert.equal(record?.version, 2);
    },
  );

  t.it(
    "a conditional update of an unknown session returns false rather than conflicting",
    async () => {
      assert.equal(
        await ctx.storage().update(newId(), { set: { a: "1" } }, { ifVersion: 1 }),
        false,
      );
    },
  );
}
