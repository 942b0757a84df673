import assert from "node:assert/strict";
import { BusClosedError } from "@vmcp/session-core/storage";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { BusSuiteContext } from "../context.js";
import { flush, listen } from "../helpers.js";

function isClosed(error: unknown): boolean {
  return error instanceof BusClosedError && error.code === "VMCP_BUS_CLOSED";
}

/** close(): idempotent, ends every subscription, refuses calls afterwards. */
export function lifecycleCases(t: TestApi, ctx: BusSuiteContext): void {
  t.it(
    "close is idempotent, and publish and subscribe after it reject with BusClosedError",
    async () => {
      const bus = ctx.bus();
      const { subscription } = await listen(bus, newId());
      await bus.close();
      await bus.close();
      await assert.rejects(async () => bus.publish(newId(), "m"), isClosed);
      await assert.rejects(async () => bus.subscribe(newId(), () => {}), isClosed);
      await subscription.unsubscribe();
    },
  );

  t.it(
    "close ends every subscription of the bus: nothing more is delivered to it, other buses go on",
    async () => {
      const replica = await ctx.replica();
      const bus = ctx.bus();
      if (replica === bus) {
        // In-process: close must still drop the subscriptions of the one bus.
        const id = newId();
        const { inbox } = await listen(bus, id);
        await bus.close();
        await assert.rejects(async () => bus.publish(id, "m"), isClosed);
        assert.deepEqual(inbox.messages, []);
        return;
      }
      const id = newId();
      let closed = false;
      const late: string[] = [];
      await bus.subscribe(id, (message) => {
        if (closed) late.push(message);
      });
      const witness = await listen(replica, id);
      await bus.close();
      closed = true;
      await replica.publish(id, "after close");
      await witness.inbox.received("after close");
      await flush(replica, id, witness.inbox);
      assert.deepEqual(late, [], "a closed bus delivered a message");
    },
  );
}
