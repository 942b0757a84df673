import assert from "node:assert/strict";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { SuiteContext } from "../context.js";

/** A caller's objects and the store's state never alias. */
export function isolationCases(t: TestApi, ctx: SuiteContext): void {
  t.it("mutating a loaded record never changes what is stored", async () => {
    const id = newId();
    await ctx.storage().create({ id, metadata: { a: "1" } });
    const loaded = await ctx.storage().load(id);
    assert.ok(loaded);
    loaded.metadata.a = "changed";
    loaded.metadata.extra = "added";
    assert.deepEqual((await ctx.storage().load(id))?.metadata, { a: "1" });
  });

  t.it(
    "mutating the metadata handed to create afterwards never changes what is stored",
    async () => {
      const id = newId();
      const metadata: Record<string, string> = { a: "1" };
      await ctx.storage().create({ id, metadata });
      metadata.a = "changed";
      assert.deepEqual((await ctx.storage().load(id))?.metadata, { a: "1" });
    },
  );

  t.it("mutating a patch after update never changes what is stored", async () => {
    const id = newId();
    await ctx.storage().create({ id });
    const set: Record<string, string> = { b: "2" };
    await ctx.storage().update(id, { set });
    set.b = "changed";
    assert.deepEqual((await ctx.storage().load(id))?.metadata, { b: "2" });
  });

  t.it("two loads return distinct objects", async () => {
    const id = newId();
    await ctx.storage().create({ id, metadata: { a: "1" } });
    const first = await ctx.storage().load(id);
    const second = await ctx.storage().load(id);
    assert.notEqual(first, second);
    assert.notEqual(first?.metadata, second?.metadata);
  });
}
