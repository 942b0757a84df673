import assert from "node:assert/strict";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { BusSuiteContext } from "../context.js";
import { listen, numbered } from "../helpers.js";

const Burst = 200;

/** Per-session order of what one bus publishes. */
export function orderCases(t: TestApi, ctx: BusSuiteContext): void {
  t.it(
    `${Burst} messages published at once by one bus reach every subscription in publish order`,
    async () => {
      const bus = ctx.bus();
      const replica = await ctx.replica();
      const id = newId();
      const local = await listen(bus, id);
      const remote = await listen(replica, id);
      const messages = numbered("m", Burst);
      await Promise.all(messages.map((message) => bus.publish(id, message)));
      for (const { inbox } of [local, remote]) {
        await inbox.count(Burst);
        assert.deepEqual(inbox.messages, messages);
      }
    },
  );

  t.it("interleaved publishes to two sessions keep each session's order", async () => {
    const bus = ctx.bus();
    const replica = await ctx.replica();
    const [a, b] = [newId(), newId()];
    const onA = await listen(replica, a);
    const onB = await listen(replica, b);
    const forA = numbered("a", 50);
    const forB = numbered("b", 50);
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      sends.push(bus.publish(a, forA[i] as string), bus.publish(b, forB[i] as string));
    }
    await Promise.all(sends);
    await onA.inbox.count(50);
    await onB.inbox.count(50);
    assert.deepEqual(onA.inbox.messages, forA);
    assert.deepEqual(onB.inbox.messages, forB);
  });
}
