import assert from "node:assert/strict";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { BusSuiteContext } from "../context.js";
import { flush, listen, numbered } from "../helpers.js";

/** At most once per subscription, and nothing after unsubscribe. */
export function unsubscribeCases(t: TestApi, ctx: BusSuiteContext): void {
  t.it(
    "two subscriptions to one session on one bus each get every message exactly once",
    async () => {
      const bus = ctx.bus();
      const id = newId();
      const first = await listen(bus, id);
      const second = await listen(bus, id);
      const messages = numbered("m", 20);
      for (const message of messages) await bus.publish(id, message);
      await first.inbox.count(20);
      await second.inbox.count(20);
      await flush(bus, id, first.inbox);
      await flush(bus, id, second.inbox);
      assert.deepEqual(first.inbox.messages.slice(0, 20), messages);
      assert.deepEqual(second.inbox.messages.slice(0, 20), messages);
      assert.equal(first.inbox.messages.length, 22, "a message arrived twice");
    },
  );

  t.it(
    "once unsubscribe resolves, its handler is never called again; the others go on",
    async () => {
      const bus = ctx.bus();
      const replica = await ctx.replica();
      const id = newId();
      let unsubscribed = false;
      const late: string[] = [];
      const leaving = await bus.subscribe(id, (message) => {
        if (unsubscribed) late.push(message);
      });
      const staying = await listen(bus, id);
      // Messages in flight while unsubscribing, from this bus and from a replica.
      const inFlight = numbered("in-flight", 50).map((message, i) =>
        (i % 2 === 0 ? bus : replica).publish(id, message),
      );
      await leaving.unsubscribe();
      unsubscribed = true;
      await Promise.all(inFlight);
      await bus.publish(id, "after");
      await replica.publish(id, "after-replica");
      await staying.inbox.received("after");
      await staying.inbox.received("after-replica");
      await flush(bus, id, staying.inbox);
      await flush(replica, id, staying.inbox);
      assert.deepEqual(late, [], "a handler was called after its unsubscribe resolved");
      assert.equal(staying.subscription.sessionId, id);
    },
  );

  t.it("unsubscribe is idempotent and never rejects", async () => {
    const bus = ctx.bus();
    const id = newId();
    const { subscription } = await listen(bus, id);
    await subscription.unsubscribe();
    await subscription.unsubscribe();
    const { inbox } = await listen(bus, id);
    await bus.publish(id, "still works");
    await inbox.received("still works");
  });

  t.it(
    "subscribe, unsubscribe and subscribe again: the new subscription gets each message once",
    async () => {
      const bus = ctx.bus();
      const replica = await ctx.replica();
      const id = newId();
      for (let round = 0; round < 3; round++) {
        const { inbox, subscription } = await listen(bus, id);
        await replica.publish(id, `round-${round}`);
        await inbox.received(`round-${round}`);
        await flush(replica, id, inbox);
        assert.equal(inbox.messages.length, 2, `round ${round}: ${JSON.stringify(inbox.messages)}`);
        await subscription.unsubscribe();
      }
    },
  );

  t.it(
    "racing subscribes and unsubscribes to one session leave exactly the live ones delivering",
    async () => {
      const bus = ctx.bus();
      const id = newId();
      const subscriptions = await Promise.all(Array.from({ length: 10 }, () => listen(bus, id)));
      const kept = subscriptions.slice(0, 3);
      const dropped = subscriptions.slice(3);
      const [more] = await Promise.all([
        Promise.all(Array.from({ length: 3 }, () => listen(bus, id))),
        ...dropped.map(({ subscription }) => subscription.unsubscribe()),
      ]);
      await bus.publish(id, "after the race");
      for (const { inbox } of [...kept, ...more]) await inbox.received("after the race");
      const probe = kept[0];
      assert.ok(probe);
      await flush(bus, id, probe.inbox);
      for (const { inbox } of dropped) assert.ok(!inbox.messages.includes("after the race"));
      for (const { inbox } of [...kept, ...more]) {
        assert.equal(inbox.messages.filter((m) => m === "after the race").length, 1);
      }
    },
  );
}
