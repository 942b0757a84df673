import type { SessionMessageBus } from "@vmcp/session-core/storage";

/**
 * What the fault cases of the bus suite do to the bus's server, for a bus that has one (a Redis
 * bus). An in-process bus has no server: its fixture gives none of these, and its options
 * declare no fault support, so the fault cases are not declared for it at all.
 */
export interface BusFaults {
  /**
   * Cuts every connection the buses of this test hold to their server (for Redis: `CLIENT KILL`
   * of every normal and pub/sub client on every node), leaving the server running, so the buses
   * must reconnect and subscribe again on their own. Resolves once the connections are cut.
   */
  readonly dropConnections: () => Promise<void>;
  /**
   * Makes the server unreachable (stopped, or frozen so nothing answers) until
   * {@link restore}. Resolves once it is.
   */
  readonly makeUnreachable: () => Promise<void>;
  /** Undoes {@link makeUnreachable}: resolves once the server answers again. */
  readonly restore: () => Promise<void>;
}

/** What {@link BusConformanceOptions.setup} hands the suite for one test. */
export interface BusFixture {
  /** The bus under test. It must hold no subscriptions. The suite closes it after the test. */
  readonly bus: SessionMessageBus;
  /**
   * Opens another bus on the same server with its own connections, as a second replica would.
   * The suite closes each one it opens. Omit it for an in-process bus: the cross-replica cases
   * then publish and subscribe through `bus` alone.
   */
  readonly openReplica?: () => Promise<SessionMessageBus>;
  /**
   * The fault controls; required when {@link BusConformanceOptions.faults} is `true` (a fault
   * case fails when the fixture declared faults and gives none).
   */
  readonly faults?: BusFaults;
  /** Called after the test, once the suite has closed every bus it opened. */
  readonly dispose?: () => Promise<void>;
}

/** Options for `describeSessionMessageBusConformance`. */
export interface BusConformanceOptions {
  /** The name of the top-level group, e.g. `"InProcessMessageBus"`. */
  readonly name: string;
  /** Called before each test: a fresh bus with no subscriptions (e.g. under a unique prefix). */
  readonly setup: () => Promise<BusFixture>;
  /**
   * The size bound the buses from `setup` were made with, UTF-8 bytes: the suite publishes a
   * message of exactly this size (accepted) and one byte more (refused). Keep it small (a few
   * KiB) for a quick run.
   */
  readonly maxMessageBytes: number;
  /**
   * Whether the bus has a server the suite can take away (see {@link BusFaults}): declares the
   * fault cases (reconnect resubscribes, an unreachable server gives a typed error in bounded
   * time). Default `false`: those cases are not declared, so they neither run nor count. Each
   * fault case takes a few seconds (up to 20 s for a bus that is slow to reconnect): give the
   * runner a test timeout of about 30 s for them.
   */
  readonly faults?: boolean;
  /**
   * The bus's timeout, ms (what its `publish` and `subscribe` are bounded by). The fault cases
   * require an unreachable server to give `BusUnavailableError` within three times this plus
   * 2,000 ms of slack for a busy machine. Default 1,500 (the contract's `DefaultBusTimeoutMs`).
   */
  readonly timeoutMs?: number;
}
