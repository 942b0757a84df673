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
