import assert from "node:assert/strict";
import fc from "fast-check";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { SuiteContext } from "../context.js";

const AnyKey = fc.string({ unit: "binary", minLength: 1, maxLength: 40 });
const AnyValue = fc.string({ unit: "binary", maxLength: 200 });

/** Metadata comes back exactly as it went in, whatever the characters, sizes and counts. */
export function roundTripCases(t: TestApi, ctx: SuiteContext): void {
  t.it(
    "metadata round-trips exactly for any unicode keys and values (property-based)",
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.dictionary(AnyKey, AnyValue, { maxKeys: 12 }), async (metadata) => {
          const id = newId();
          assert.equal(await ctx.storage().create({ id, metadata }), true);
          assert.deepEqual((await ctx.storage().load(id))?.metadata, { ...metadata });
        }),
        { numRuns: 60 },
      );
    },
  );

  t.it("metadata written by update round-trips exactly (property-based)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(AnyKey, AnyValue, { maxKeys: 8 }),
        fc.dictionary(AnyKey, AnyValue, { maxKeys: 8 }),
        async (initial, patch) => {
          const id = newId();
          await ctx.storage().create({ id, metadata: initial });
          assert.equal(await ctx.storage().update(id, { set: patch }), true);
          assert.deepEqual((await ctx.storage().load(id))?.metadata, { ...initial, ...patch });
        },
      ),
      { numRuns: 40 },
    );
  });

  t.it("empty strings are kept as values, distinct from absent keys", async () => {
    const id = newId();
    await ctx.storage().create({ id, metadata: { empty: "", "vmcp.backend.session.a": "" } });
    const metadata = (await ctx.storage().load(id))?.metadata;
    assert.deepEqual(metadata, { empty: "", "vmcp.backend.session.a": "" });
    assert.ok(metadata && Object.hasOwn(metadata, "empty"));
  });

  t.it(
    "keys that mean something elsewhere stay ordinary keys (__proto__, constructor, separators)",
    async () => {
      const id = newId();
      const metadata: Record<string, string> = {};
      for (const key of [
        "__proto__",
        "constructor",
        "toString",
        "a:b",
        "{tag}",
        "*",
        "\n",
        "é€😀",
      ]) {
        Object.defineProperty(metadata, key, { value: `v-${key}`, enumerable: true });
      }
      await ctx.storage().create({ id, metadata });
      const loaded = (await ctx.storage().load(id))?.metadata;
      assert.ok(loaded);
      assert.deepEqual(Object.keys(loaded).sort(), Object.keys(metadata).sort());
      assert.equal(Object.getOwnPropertyDescriptor(loaded, "__proto__")?.value, "v-__proto__");
    },
  );

  t.it("a 1 MiB value round-trips exactly", async () => {
    const id = newId();
    const big = `${"x".repeat(1024 * 1024 - 3)}end`;
    await ctx.storage().create({ id, metadata: { big } });
    assert.equal((await ctx.storage().load(id))?.metadata.big, big);
  });

  t.it("1,000 metadata keys round-trip exactly", async () => {
    const id = newId();
    const metadata: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) metadata[`vmcp.backend.session.workload-${i}`] = `sess-${i}`;
    await ctx.storage().create({ id, metadata });
    assert.deepEqual((await ctx.storage().load(id))?.metadata, metadata);
  });
}
