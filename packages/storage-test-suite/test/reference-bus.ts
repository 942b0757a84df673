import {
  assertValidSessionId,
  type BusMessageHandler,
  type BusSubscription,
  BusUnavailableError,
  LocalMessageBus,
  type LocalSubscriber,
} from "@vmcp/session-core/storage";

/** The size bound every bus in these tests is made with, UTF-8 bytes. */
export const TestMaxMessageBytes = 64;

type Subscriber = LocalSubscriber;

/**
 * A correct in-process bus: the suite must pass it. It is session-core's `LocalMessageBus`, the
 * same code as `@vmcp/store-memory`'s bus, made with this file's small size bound; its protected
 * steps (`deliver`, `schedule`, `end`, `checkSize`, `joined`) are what the broken subclasses
 * below override, one rule each.
 */
export class ReferenceBus extends LocalMessageBus {
  constructor() {
    super({ maxMessageBytes: TestMaxMessageBytes, maxPendingMessages: 1_000_000 });
  }
}

/** Calls handlers inside `publish`. */
export class SynchronousBus extends ReferenceBus {
  protected override schedule(delivery: () => void): void {
    delivery();
  }
}

/** Keeps delivering to a subscription for a while after its unsubscribe resolved. */
export class LingeringBus extends ReferenceBus {
  protected override end(sessionId: string, subscriber: Subscriber): void {
    setTimeout(() => super.end(sessionId, subscriber), 1_000);
  }
}

/** Delivers every message twice. */
export class DoublingBus extends ReferenceBus {
  protected override deliver(subscriber: Subscriber, message: string): void {
    super.deliver(subscriber, message);
    super.deliver(subscriber, message);
  }
}

/** Delivers each batch of messages in reverse order. */
export class ReorderingBus extends ReferenceBus {
  #batch: Array<() => void> = [];
  protected override schedule(delivery: () => void): void {
    if (this.#batch.push(delivery) === 1) {
      setImmediate(() => {
        for (const run of this.#batch.splice(0).reverse()) run();
      });
    }
  }
}

/** Keeps messages nobody listened to and hands them to the next subscriber. */
export class StoringBus extends ReferenceBus {
  readonly #stored = new Map<string, string[]>();
  override async publish(sessionId: string, message: string): Promise<void> {
    if (!this.sessions.get(sessionId)?.size) {
      assertValidSessionId(sessionId);
      this.#stored.set(sessionId, [...(this.#stored.get(sessionId) ?? []), message]);
      return;
    }
    await super.publish(sessionId, message);
  }
  protected override joined(sessionId: string, subscriber: Subscriber): void {
    for (const message of this.#stored.get(sessionId) ?? []) {
      this.schedule(() => this.deliver(subscriber, message));
    }
    this.#stored.delete(sessionId);
  }
}

/** Takes messages of any size. */
export class UnboundedBus extends ReferenceBus {
  protected override checkSize(): void {}
}

/** Works on after close. */
export class NeverClosingBus extends ReferenceBus {
  override async close(): Promise<void> {}
}

/** A bus "server" the fault cases can take away: calls reject typed while it is down. */
export class FaultyServerBus extends ReferenceBus {
  down = false;
  override async publish(sessionId: string, message: string): Promise<void> {
    if (this.down) throw new BusUnavailableError("down");
    await super.publish(sessionId, message);
  }
  override async subscribe(
    sessionId: string,
    onMessage: BusMessageHandler,
  ): Promise<BusSubscription> {
    if (this.down) throw new BusUnavailableError("down");
    return super.subscribe(sessionId, onMessage);
  }
  /** Loses every subscription, as a lost connection would. */
  forgetSubscriptions(): void {
    this.sessions.clear();
  }
}

/** Hangs every call while its "server" is down, instead of rejecting in bounded time. */
export class HangingBus extends FaultyServerBus {
  override async publish(sessionId: string, message: string): Promise<void> {
    if (this.down) return new Promise(() => {});
    return super.publish(sessionId, message);
  }
}
