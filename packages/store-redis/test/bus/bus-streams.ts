import { delay } from "@vmcp/redis-harness";
import { BusUnavailableError, type SessionMessageBus } from "@vmcp/session-core";
import { expect } from "vitest";

/** Every message one subscription received, in order. */
export class Inbox {
  readonly messages: string[] = [];
  readonly handler = (message: string): void => {
    this.messages.push(message);
  };

  /** The numbers `n` of the `<label>-<n>` messages received, in arrival order. */
  numbers(label: string): number[] {
    return this.messages
      .filter((message) => message.startsWith(`${label}-`))
      .map((message) => Number(message.slice(label.length + 1)));
  }

  /** Resolves once a `<label>-<n>` with `n > after` has arrived, or throws after `timeoutMs`. */
  async receivedAfter(label: string, after: number, timeoutMs = 30_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!this.numbers(label).some((n) => n > after)) {
      if (performance.now() > deadline) {
        throw new Error(
          `no ${label}-<n> with n > ${after} within ${timeoutMs} ms; last: ${JSON.stringify(this.messages.slice(-5))}`,
        );
      }
      await delay(50);
    }
  }
}

/** A steady stream of `<label>-<n>` publishes through one bus to one session. */
export interface PublishStream {
  /** The number of the next message. */
  readonly next: number;
  /** Stops the stream; resolves what it saw. */
  stop(): Promise<{ acknowledged: number; errors: unknown[] }>;
}

/** Publishes `<label>-0`, `<label>-1`, … every `intervalMs` (default 20) until stopped. */
export function startPublishing(
  bus: SessionMessageBus,
  sessionId: string,
  label: string,
  intervalMs = 20,
): PublishStream {
  let next = 0;
  let acknowledged = 0;
  let running = true;
  const errors: unknown[] = [];
  const loop = (async () => {
    while (running) {
      const n = next++;
      await bus.publish(sessionId, `${label}-${n}`).then(
        () => {
          acknowledged++;
        },
        (error: unknown) => {
          errors.push(error);
        },
      );
      await delay(intervalMs);
    }
  })();
  return {
    get next() {
      return next;
    },
    async stop() {
      running = false;
      await loop;
      return { acknowledged, errors };
    },
  };
}

/** Each `<label>-<n>` arrived at most once and in publish order: strictly increasing numbers. */
export function expectAtMostOnceInOrder(inbox: Inbox, label: string): void {
  const numbers = inbox.numbers(label);
  const out = numbers.filter((n, i) => i > 0 && n <= (numbers[i - 1] as number));
  expect(out, `duplicated or reordered ${label} messages in ${JSON.stringify(numbers)}`).toEqual(
    [],
  );
}

/** Every publish failure was the typed, bounded one. */
export function expectOnlyUnavailable(errors: readonly unknown[]): void {
  const others = errors.filter((error) => !(error instanceof BusUnavailableError));
  expect(others.map(String)).toEqual([]);
}

/**
 * The delivery check of the bus fault tests, on any topology: buses `a` and `b` subscribe to
 * session `id` and publish to it, `d` only listens and `e` only publishes (each learns of the
 * change from its own connections alone); `fault` runs while they stream. Afterwards every stream
 * resumes on every subscriber, each at most once and in order, every failed publish was a
 * `BusUnavailableError`, and a bus opened after the fault reaches the old ones both ways.
 * `openBus` opens a bus on the topology under test; the caller closes them.
 */
export async function deliveryAcrossFault(
  openBus: () => SessionMessageBus,
  id: string,
  fault: () => Promise<void>,
): Promise<void> {
  const [a, b] = [openBus(), openBus()];
  const [onA, onB] = [new Inbox(), new Inbox()];
  await a.subscribe(id, onA.handler);
  await b.subscribe(id, onB.handler);
  // A bus that only listens: it learns of the change from its own connections alone.
  const onD = new Inbox();
  await openBus().subscribe(id, onD.handler);
  const fromA = startPublishing(a, id, "a");
  const fromB = startPublishing(b, id, "b");
  // A bus that only publishes: it holds no subscription whose repair could route it.
  const fromE = startPublishing(openBus(), id, "e");
  await onB.receivedAfter("a", 5);
  await onA.receivedAfter("b", 5);
  await fault();
  const [aAfter, bAfter, eAfter] = [fromA.next, fromB.next, fromE.next];
  for (const inbox of [onA, onB, onD]) {
    await inbox.receivedAfter("a", aAfter);
    await inbox.receivedAfter("b", bAfter);
    await inbox.receivedAfter("e", eAfter);
  }
  const streams = [await fromA.stop(), await fromB.stop(), await fromE.stop()];
  for (const inbox of [onA, onB, onD]) {
    for (const label of ["a", "b", "e"]) expectAtMostOnceInOrder(inbox, label);
  }
  expectOnlyUnavailable(streams.flatMap((stream) => stream.errors));
  // A bus opened now finds the new owner: the old ones must have followed it too.
  const c = openBus();
  const onC = new Inbox();
  await c.subscribe(id, onC.handler);
  await a.publish(id, "to-c-0");
  await onC.receivedAfter("to-c", -1);
  await c.publish(id, "from-c-0");
  await onA.receivedAfter("from-c", -1);
  await onB.receivedAfter("from-c", -1);
}
