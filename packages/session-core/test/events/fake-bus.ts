import {
  assertValidSessionId,
  BusClosedError,
  type BusMessageHandler,
  type BusSubscription,
  BusUnavailableError,
  type SessionMessageBus,
} from "@vmcp/session-core";

/** One subscription as {@link FakeBus} holds it. */
interface FakeSubscription {
  readonly sessionId: string;
  readonly handler: BusMessageHandler;
  live: boolean;
  /** While true, messages for this subscription are lost (its connection is "down"). */
  cut: boolean;
}

/**
 * A small `SessionMessageBus` for unit tests, with the contract's delivery (fan-out including
 * the publisher's own subscriptions, on a later turn, in order, at most once) and fault controls:
 * publishes that fail, and subscriptions whose messages are lost for a while.
 */
export class FakeBus implements SessionMessageBus {
  readonly subscriptions: FakeSubscription[] = [];
  /** Every message handed to `publish` and accepted, in order. */
  readonly published: Array<{ sessionId: string; message: string }> = [];
  /** While true, `publish` rejects with `BusUnavailableError` (nothing is sent). */
  failPublishes = false;
  /** How many publishes `failPublishes` refused. */
  refused = 0;
  closed = false;

  async publish(sessionId: string, message: string): Promise<void> {
    assertValidSessionId(sessionId);
    if (this.closed) throw new BusClosedError();
    if (this.failPublishes) {
      this.refused++;
      throw new BusUnavailableError("the fake bus is down");
    }
    this.published.push({ sessionId, message });
    const targets = this.subscriptions.filter((s) => s.sessionId === sessionId && s.live && !s.cut);
    setImmediate(() => {
      for (const target of targets) if (target.live) target.handler(message);
    });
  }

  async subscribe(sessionId: string, onMessage: BusMessageHandler): Promise<BusSubscription> {
    assertValidSessionId(sessionId);
    if (this.closed) throw new BusClosedError();
    const subscription: FakeSubscription = {
      sessionId,
      handler: onMessage,
      live: true,
      cut: false,
    };
    this.subscriptions.push(subscription);
    return {
      sessionId,
      unsubscribe: async () => {
        subscription.live = false;
      },
    };
  }

  /** Live subscriptions now. */
  get liveSubscriptions(): number {
    return this.subscriptions.filter((s) => s.live).length;
  }

  /** Hands `message` to every live subscription of `sessionId` as if a replica had published it. */
  inject(sessionId: string, message: string): void {
    for (const target of this.subscriptions) {
      if (target.sessionId === sessionId && target.live && !target.cut) {
        setImmediate(() => {
          if (target.live) target.handler(message);
        });
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const subscription of this.subscriptions) subscription.live = false;
  }
}
