import assert from "node:assert/strict";
import { BusUnavailableError } from "@vmcp/session-core/storage";
import { newId } from "../../shared/session-ids.js";
import type { TestApi } from "../../shared/test-api.js";
import type { BusSuiteContext } from "../context.js";
import { type Inbox, listen, pause, RecoveryWaitMs } from "../helpers.js";

/**
 * Publishes `<label>-<n>` through `bus` every 100 ms (failures ignored: the bus is reconnecting)
 * until every inbox has received one of them, or throws after {@link RecoveryWaitMs}.
 */
async function publishUntilDelivered(
  bus: { publish(id: string, message: string): Promise<void> },
  id: string,
  label: string,
  inboxes: readonly Inbox[],
): Promise<void> {
  const deadline = Date.now() + RecoveryWaitMs;
  for (let n = 0; ; n++) {
    await bus.publish(id, `${label}-${n}`).catch(() => undefined);
    const delivered = inboxes.every((inbox) =>
      inbox.messages.some((m) => m.startsWith(`${label}-`)),
    );
    if (delivered) return;
    if (Date.now() > deadline) {
      throw new Error(
        `delivery did not resume within ${RecoveryWaitMs} ms after ${n + 1} publishes`,
      );
    }
    await pause(100);
  }
}

/** Each subscription's `<label>-<n>` messages arrived at most once, in increasing order. */
function assertAtMostOnceInOrder(inbox: Inbox, label: string): void {
  const numbers = inbox.messages
    .filter((m) => m.startsWith(`${label}-`))
    .map((m) => Number(m.slice(label.length + 1)));
  for (let i = 1; i < numbers.length; i++) {
    assert.ok(
      (numbers[i] as number) > (numbers[i - 1] as number),
      `duplicated or reordered: ${JSON.stringify(numbers)}`,
    );
  }
}

/**
 * What `call` rejected with (`undefined` when it resolved), or a plain `Error` saying it hung
 * when it has not settled after `ms`: a bus that hangs fails the case instead of the runner.
 */
async function settleWithin(call: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<unknown>((resolve) => {
    timer = setTimeout(() => resolve(new Error(`the call did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([
      call.then(
        () => undefined,
        (reason: unknown) => reason,
      ),
      hung,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function isUnavailable(error: unknown): error is BusUnavailableError {
  return error instanceof BusUnavailableError && error.code === "VMCP_BUS_UNAVAILABLE";
}

/** A lost connection and an unreachable server (only for buses whose fixture declares faults). */
export function faultCases(t: TestApi, ctx: BusSuiteContext, timeoutMs: number): void {
  const boundMs = 3 * timeoutMs + 2_000;

  t.it(
    "after its connections are cut, a bus subscribes again on its own and delivery resumes, at most once and in order",
    async () => {
      const bus = ctx.bus();
      const replica = await ctx.replica();
      const id = newId();
      const local = await listen(bus, id);
      const remote = await listen(replica, id);
      await bus.publish(id, "before");
      await local.inbox.received("before");
      await remote.inbox.received("before");
      await ctx.faults().dropConnections();
      await publishUntilDelivered(bus, id, "after-cut", [local.inbox, remote.inbox]);
      await publishUntilDelivered(replica, id, "from-replica", [local.inbox, remote.inbox]);
      for (const { inbox } of [local, remote]) {
        assertAtMostOnceInOrder(inbox, "after-cut");
        assertAtMostOnceInOrder(inbox, "from-replica");
      }
      // A subscription made after the cut works too.
      const late = await listen(bus, id);
      await replica.publish(id, "late");
      await late.inbox.received("late");
    },
  );

  t.it(
    `with the server unreachable, publish and subscribe reject with BusUnavailableError within the bound (3 × timeout + 2 s); once it is back, earlier subscriptions deliver again`,
    async () => {
      const bus = ctx.bus();
      const id = newId();
      const { inbox } = await listen(bus, id);
      await bus.publish(id, "before");
      await inbox.received("before");
      const faults = ctx.faults();
      await faults.makeUnreachable();
      try {
        for (const attempt of [
          () => bus.publish(id, "while down"),
          () => bus.subscribe(newId(), () => {}),
        ]) {
          const started = performance.now();
          const error = await settleWithin(attempt(), boundMs + 1_000);
          const elapsed = performance.now() - started;
          assert.ok(isUnavailable(error), `expected BusUnavailableError, got ${String(error)}`);
          assert.ok(elapsed <= boundMs, `took ${Math.round(elapsed)} ms, bound ${boundMs} ms`);
        }
      } finally {
        await faults.restore();
      }
      await publishUntilDelivered(bus, id, "after-outage", [inbox]);
      assertAtMostOnceInOrder(inbox, "after-outage");
    },
  );
}
