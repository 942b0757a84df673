import assert from "node:assert/strict";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { BusSuiteContext } from "../context.js";
import { flush, listen } from "../helpers.js";

/** Fan-out: who gets a message, and who does not. */
export function deliveryCases(t: TestApi, ctx: BusSuiteContext, maxMessageBytes: number): void {
  t.it("a message reaches a subscription made through the publishing bus itself", async () => {
    const bus = ctx.bus();
    const id = newId();
    const { inbox } = await listen(bus, id);
    await bus.publish(id, "hello");
    await inbox.received("hello");
    assert.deepEqual(inbox.messages, ["hello"]);
  });

  t.it(
    "a message reaches every live subscription to the session, on this bus and on another replica's",
    async () => {
      const bus = ctx.bus();
      const replica = await ctx.replica();
      const id = newId();
      const local1 = await listen(bus, id);
      const local2 = await listen(bus, id);
      const remote = await listen(replica, id);
      await bus.publish(id, "from-bus");
      await replica.publish(id, "from-replica");
      for (const { inbox } of [local1, local2, remote]) {
        await inbox.received("from-bus");
        await inbox.received("from-replica");
      }
      await flush(bus, id, local1.inbox);
      await flush(replica, id, local1.inbox);
      for (const { inbox } of [local1, local2, remote]) {
        assert.equal(inbox.messages.filter((m) => m === "from-bus").length, 1);
        assert.equal(inbox.messages.filter((m) => m === "from-replica").length, 1);
      }
    },
  );

  t.it("a message to one session never reaches a subscription to another", async () => {
    const bus = ctx.bus();
    const [a, b] = [newId(), newId()];
    const onA = await listen(bus, a);
    const onB = await listen(bus, b);
    await bus.publish(b, "for-b");
    await onB.inbox.received("for-b");
    await flush(bus, a, onA.inbox);
    assert.ok(!onA.inbox.messages.includes("for-b"), "a subscription to A got B's message");
    assert.ok(onB.inbox.messages.every((m) => m === "for-b"));
  });

  t.it(
    "sessions whose IDs differ only in braces, escapes or glob characters never share a message",
    async () => {
      const bus = ctx.bus();
      const suffix = newId().slice(0, 8);
      const ids = ["{a}", "%7Ba%7D", "%257Ba%257D", "a*", "a?", "a[b]", "a\\b", "a:bus"].map(
        (id) => `${id}-${suffix}`,
      );
      const inboxes = await Promise.all(ids.map((id) => listen(bus, id)));
      for (const id of ids) await bus.publish(id, id);
      for (const [i, id] of ids.entries()) {
        const { inbox } = inboxes[i] as Awaited<ReturnType<typeof listen>>;
        await inbox.received(id);
        await flush(bus, id, inbox);
        assert.deepEqual(
          inbox.messages.filter((m) => !m.startsWith("marker:")),
          [id],
          `session ${JSON.stringify(id)} got another session's message`,
        );
      }
    },
  );

  t.it(
    "a message published before the subscription resolved is not delivered to it later",
    async () => {
      const bus = ctx.bus();
      const id = newId();
      await bus.publish(id, "nobody-listening");
      const { inbox } = await listen(bus, id);
      await flush(bus, id, inbox);
      assert.ok(!inbox.messages.includes("nobody-listening"), "a message was stored for later");
    },
  );

  t.it(
    "publish to a session nobody listens to resolves, and publish resolves before any handler runs",
    async () => {
      const bus = ctx.bus();
      await bus.publish(newId(), "into the void");
      const id = newId();
      const calledDuring: boolean[] = [];
      let inside = false;
      await bus.subscribe(id, () => calledDuring.push(inside));
      inside = true;
      const published = bus.publish(id, "m");
      inside = false;
      await published;
      const { inbox } = await listen(bus, id);
      await flush(bus, id, inbox);
      // "m", then the marker: each once, neither inside publish.
      assert.deepEqual(calledDuring, [false, false], "the handler ran inside publish");
    },
  );

  t.it(
    "any string travels unchanged: Unicode, empty, control characters, JSON, the size bound",
    async () => {
      const bus = ctx.bus();
      const replica = await ctx.replica();
      const id = newId();
      const { inbox } = await listen(replica, id);
      const atBound = "x".repeat(maxMessageBytes);
      const messages = [
        "",
        "plain",
        "ünïcødé ✓ 🚀 中文",
        "line\nbreak\r\n\ttab\u0000nul",
        JSON.stringify({ kind: "answer", id: "vmcp:abc", result: { content: [] } }),
        "\u{10FFFF}\uFFFD",
        atBound,
      ];
      for (const message of messages) await bus.publish(id, message);
      await inbox.count(messages.length);
      assert.deepEqual(inbox.messages, messages);
    },
  );
}
