import assert from "node:assert/strict";
import { SessionVersionConflictError } from "@vmcp/session-core/storage";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { SuiteContext } from "../context.js";

const WritesPerWriter = 100;

/** Two replicas writing one session at once lose nothing and never mix values. */
export function concurrencyCases(t: TestApi, ctx: SuiteContext): void {
  t.it(
    `two writers making ${WritesPerWriter} concurrent updates each to different keys lose none`,
    async () => {
      const id = newId();
      await ctx.storage().create({ id, metadata: { base: "kept" } });
      const [a, b] = [await ctx.replica(), await ctx.replica()];
      const writes = (writer: typeof a, name: string) =>
        Array.from({ length: WritesPerWriter }, (_, i) =>
          writer.update(id, { set: { [`${name}.${i}`]: `${name}-${i}` } }),
        );
      const results = await Promise.all([...writes(a, "a"), ...writes(b, "b")]);
      assert.ok(results.every((applied) => applied === true));
      const record = await ctx.storage().load(id);
      assert.ok(record);
      assert.equal(Object.keys(record.metadata).length, 2 * WritesPerWriter + 1);
      for (let i = 0; i < WritesPerWriter; i++) {
        assert.equal(record.metadata[`a.${i}`], `a-${i}`);
        assert.equal(record.metadata[`b.${i}`], `b-${i}`);
      }
      assert.equal(record.metadata.base, "kept");
      assert.equal(record.version, 1 + 2 * WritesPerWriter, "every update counted once");
    },
  );

  t.it(
    "writers racing on the same keys end with one writer's whole patch, never a mix",
    async () => {
      const id = newId();
      await ctx.storage().create({ id });
      const [a, b] = [await ctx.replica(), await ctx.replica()];
      const patches = Array.from({ length: 40 }, (_, i) => ({
        "vmcp.backend.ids": `writer-${i}`,
        "vmcp.backend.session.x": `writer-${i}`,
      }));
      await Promise.all(patches.map((set, i) => (i % 2 ? a : b).update(id, { set })));
      const metadata = (await ctx.storage().load(id))?.metadata;
      assert.ok(metadata);
      assert.match(metadata["vmcp.backend.ids"] ?? "", /^writer-\d+$/);
      assert.equal(metadata["vmcp.backend.session.x"], metadata["vmcp.backend.ids"]);
    },
  );

  t.it(
    "concurrent creates of one ID: exactly one wins, and its metadata is what is stored",
    async () => {
      const id = newId();
      const [a, b] = [await ctx.replica(), await ctx.replica()];
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).create({ id, metadata: { by: `${i}` } }),
        ),
      );
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      assert.equal(winners.length, 1);
      assert.deepEqual((await ctx.storage().load(id))?.metadata, { by: `${winners[0]}` });
    },
  );

  t.it("concurrent compare-and-set updates from one version: exactly one applies", async () => {
    const id = newId();
    await ctx.storage().create({ id });
    const [a, b] = [await ctx.replica(), await ctx.replica()];
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).update(id, { set: { winner: `${i}` } }, { ifVersion: 1 }),
      ),
    );
    const applied = outcomes.filter((o) => o.status === "fulfilled" && o.value === true);
    const conflicts = outcomes.filter(
      (o) => o.status === "rejected" && o.reason instanceof SessionVersionConflictError,
    );
    assert.equal(applied.length, 1);
    assert.equal(conflicts.length, 9);
    assert.equal((await ctx.storage().load(id))?.version, 2);
  });

  t.it("an update racing a delete never resurrects the session", async () => {
    const ids = Array.from({ length: 20 }, () => newId());
    await Promise.all(ids.map((id) => ctx.storage().create({ id })));
    const [a, b] = [await ctx.replica(), await ctx.replica()];
    await Promise.all(ids.flatMap((id) => [a.delete(id), b.update(id, { set: { late: "1" } })]));
    for (const id of ids) assert.equal(await ctx.storage().load(id), undefined);
  });
}
