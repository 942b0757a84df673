import assert from "node:assert/strict";
import {
  InvalidSessionIdError,
  InvalidSessionInputError,
  MaxSessionIdLength,
  type SessionStorage,
} from "@vmcp/session-core/storage";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { SuiteContext } from "../context.js";
import { inMs } from "../helpers.js";

const InvalidIds: readonly unknown[] = [
  "",
  "has space",
  "tab\there",
  "non-ascii-é",
  "\u0000nul",
  "x".repeat(MaxSessionIdLength + 1),
  42,
  undefined,
  null,
];

type Call = (storage: SessionStorage, id: string) => Promise<unknown>;

const CallsById: Record<string, Call> = {
  create: (s, id) => s.create({ id }),
  update: (s, id) => s.update(id, { set: { a: "1" } }),
  load: (s, id) => s.load(id),
  touch: (s, id) => s.touch(id, inMs(60_000)),
  delete: (s, id) => s.delete(id),
};

function isInvalidInput(error: unknown): boolean {
  return error instanceof InvalidSessionInputError && error.code === "VMCP_INVALID_SESSION_INPUT";
}

/** Bad input is refused with typed errors, as a rejected promise, and harms nothing. */
export function validationCases(t: TestApi, ctx: SuiteContext): void {
  t.it("every call refuses an invalid session ID with InvalidSessionIdError", async () => {
    for (const [name, call] of Object.entries(CallsById)) {
      for (const id of InvalidIds) {
        await assert.rejects(
          async () => call(ctx.storage(), id as string),
          (error: unknown) =>
            error instanceof InvalidSessionIdError && error.code === "VMCP_INVALID_SESSION_ID",
          `${name}(${JSON.stringify(id)}) must reject`,
        );
      }
    }
  });

  t.it("a session ID of the maximum length in visible ASCII is accepted", async () => {
    const visible = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).join("");
    const id = visible.repeat(3).slice(0, MaxSessionIdLength);
    assert.equal(await ctx.storage().create({ id, metadata: { a: "1" } }), true);
    assert.deepEqual((await ctx.storage().load(id))?.metadata, { a: "1" });
  });

  t.it("non-string metadata values are refused at create and at update", async () => {
    const id = newId();
    for (const bad of [1, null, undefined, { nested: "x" }, ["x"], true]) {
      const metadata = { a: bad } as unknown as Record<string, string>;
      await assert.rejects(async () => ctx.storage().create({ id, metadata }), isInvalidInput);
    }
    assert.equal(await ctx.storage().load(id), undefined, "nothing was stored");
    await ctx.storage().create({ id, metadata: { a: "1" } });
    const set = { a: 2 } as unknown as Record<string, string>;
    await assert.rejects(async () => ctx.storage().update(id, { set }), isInvalidInput);
    assert.deepEqual((await ctx.storage().load(id))?.metadata, { a: "1" });
  });

  t.it("invalid deadlines are refused (NaN, negative, fractional, non-number)", async () => {
    const id = newId();
    await ctx.storage().create({ id });
    for (const bad of [Number.NaN, -5, 1.5, Number.POSITIVE_INFINITY, "soon"]) {
      const deadline = bad as number;
      await assert.rejects(
        async () => ctx.storage().create({ id: newId(), expiresAt: deadline }),
        isInvalidInput,
      );
      await assert.rejects(
        async () => ctx.storage().update(id, { expiresAt: deadline }),
        isInvalidInput,
      );
      await assert.rejects(async () => ctx.storage().touch(id, deadline), isInvalidInput);
      await assert.rejects(
        async () => ctx.storage().load(id, { slideExpiresAt: deadline }),
        isInvalidInput,
      );
    }
    assert.ok(await ctx.storage().load(id), "the session is unharmed");
  });

  t.it("a patch that both sets and removes one key is refused and changes nothing", async () => {
    const id = newId();
    await ctx.storage().create({ id, metadata: { a: "1" } });
    await assert.rejects(
      async () => ctx.storage().update(id, { set: { a: "2" }, remove: ["a"] }),
      isInvalidInput,
    );
    const record = await ctx.storage().load(id);
    assert.deepEqual(record?.metadata, { a: "1" });
    assert.equal(record?.version, 1);
  });

  t.it("an invalid ifVersion is refused", async () => {
    const id = newId();
    await ctx.storage().create({ id });
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(
        async () => ctx.storage().update(id, {}, { ifVersion: bad }),
        isInvalidInput,
      );
    }
  });
}
