import assert from "node:assert/strict";
import { BusMessageTooLargeError, InvalidSessionIdError } from "@vmcp/session-core/storage";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { BusSuiteContext } from "../context.js";
import { listen } from "../helpers.js";

const InvalidIds: readonly unknown[] = ["", "x".repeat(1_000), "a b", "line\nbreak", 42, undefined];

function isInvalidId(error: unknown): boolean {
  return error instanceof InvalidSessionIdError && error.code === "VMCP_INVALID_SESSION_ID";
}

/** Checked input: session IDs and the size bound. */
export function validationCases(t: TestApi, ctx: BusSuiteContext, maxMessageBytes: number): void {
  t.it(
    "publish and subscribe refuse an invalid session ID with InvalidSessionIdError",
    async () => {
      const bus = ctx.bus();
      for (const id of InvalidIds) {
        await assert.rejects(async () => bus.publish(id as string, "m"), isInvalidId);
        await assert.rejects(async () => bus.subscribe(id as string, () => {}), isInvalidId);
      }
    },
  );

  t.it(
    "a message over the size bound is refused with BusMessageTooLargeError, counted in UTF-8 bytes; the bus goes on",
    async () => {
      const bus = ctx.bus();
      const id = newId();
      const { inbox } = await listen(bus, id);
      const over = "x".repeat(maxMessageBytes + 1);
      // Two-byte characters: half as many characters as bytes, one byte over the bound.
      const overInUtf8 = `${"é".repeat(Math.floor(maxMessageBytes / 2))}${maxMessageBytes % 2 === 0 ? "x" : "é"}`;
      for (const message of [over, overInUtf8]) {
        const refused = await bus.publish(id, message).catch((error: unknown) => error);
        assert.ok(refused instanceof BusMessageTooLargeError, `not refused: ${String(refused)}`);
        assert.equal(refused.code, "VMCP_BUS_MESSAGE_TOO_LARGE");
        assert.equal(refused.limitBytes, maxMessageBytes);
        assert.equal(refused.bytes, Buffer.byteLength(message, "utf8"));
      }
      await bus.publish(id, "after");
      await inbox.received("after");
      assert.deepEqual(inbox.messages, ["after"]);
    },
  );
}
