import { setTimeout as sleepMs } from "node:timers/promises";
import type { BusSubscription, SessionMessageBus } from "@vmcp/session-core/storage";

/**
 * How long a case waits for messages it expects, ms: generous, since a starved machine can delay
 * a Redis round trip by seconds; a correct bus delivers long before, so this costs nothing.
 */
export const DeliveryWaitMs = 10_000;

/** How long the fault cases wait for a bus to reconnect and deliver again, ms. */
export const RecoveryWaitMs = 20_000;

/** Every message one subscription received, in order, with a way to wait for more. */
export class Inbox {
  readonly messages: string[] = [];
  #waiters: Array<() => void> = [];

  /** The handler to pass to `subscribe`. */
  readonly handler = (message: string): void => {
    this.messages.push(message);
    const waiters = this.#waiters.splice(0);
    for (const wake of waiters) wake();
  };

  /**
   * Resolves once `accept` holds for the messages received so far.
   * @throws {Error} naming `what` after `timeoutMs` (default {@link DeliveryWaitMs}).
   */
  async until(
    what: string,
    accept: (messages: readonly string[]) => boolean,
    timeoutMs = DeliveryWaitMs,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!accept(this.messages)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; received ${JSON.stringify(this.messages.slice(-20))}`,
        );
      }
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, Math.min(left, 250));
      });
      clearTimeout(timer);
    }
  }

  /** Resolves once `message` has been received. */
  async received(message: string, timeoutMs?: number): Promise<void> {
    await this.until(JSON.stringify(message), (all) => all.includes(message), timeoutMs);
  }

  /** Resolves once `count` messages have been received in all. */
  async count(count: number, timeoutMs?: number): Promise<void> {
    await this.until(`${count} messages`, (all) => all.length >= count, timeoutMs);
  }
}

/** Subscribes an {@link Inbox} to `sessionId` on `bus`. */
export async function listen(
  bus: SessionMessageBus,
  sessionId: string,
): Promise<{ inbox: Inbox; subscription: BusSubscription }> {
  const inbox = new Inbox();
  const subscription = await bus.subscribe(sessionId, inbox.handler);
  return { inbox, subscription };
}

/**
 * Publishes a fresh marker from `bus` and waits until `inbox` (a live subscription to the same
 * session) has it. Per-session order from one bus means everything `bus` published to the
 * session before the marker has been delivered, or never will be: the way the suite proves a
 * message did *not* arrive without sleeping.
 */
export async function flush(
  bus: SessionMessageBus,
  sessionId: string,
  inbox: Inbox,
): Promise<void> {
  const marker = `marker:${Math.random().toString(36).slice(2)}`;
  await bus.publish(sessionId, marker);
  await inbox.received(marker);
}

/** `count` distinct messages `<label>-0` … `<label>-<count-1>`. */
export function numbered(label: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${label}-${i}`);
}

/** Waits `ms`. */
export function pause(ms: number): Promise<void> {
  return sleepMs(ms);
}
