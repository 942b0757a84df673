/**
 * The life of a fixture in either suite: a fresh one installed before each test, everything
 * opened from it closed after the test, and one group of tests declared per topic.
 */
import type { TestApi } from "./test-api.js";

/** What the suite closes after each test: a storage or a message bus. */
export interface Closable {
  close(): Promise<void>;
}

/** What a fixture gives besides its subject (the storage or the bus under test). */
export interface Fixture<T extends Closable> {
  /** Opens another subject over the same data or server, as a second replica would. */
  readonly openReplica?: () => Promise<T>;
  /** Called after the test, once the suite has closed every subject it opened. */
  readonly dispose?: () => Promise<void>;
}

/**
 * Holds one test's fixture and every replica opened from it, so the suite can close it all.
 * A suite's context extends it with its own accessors.
 */
export abstract class FixtureHolder<F extends Fixture<T>, T extends Closable> {
  #fixture: F | undefined;
  readonly #opened: T[] = [];
  readonly #subjectOf: (fixture: F) => T;
  readonly #noFixture: string;

  /**
   * @param subjectOf the storage or bus of a fixture.
   * @param noFixture the message of the error thrown when a case runs with no fixture set up.
   */
  protected constructor(subjectOf: (fixture: F) => T, noFixture: string) {
    this.#subjectOf = subjectOf;
    this.#noFixture = noFixture;
  }

  /** Installs the fixture of the test about to run. */
  use(fixture: F): void {
    this.#fixture = fixture;
  }

  /** Another subject over the same data (a second replica), or the same one when the fixture opens none. */
  async replica(): Promise<T> {
    const fixture = this.current();
    if (fixture.openReplica === undefined) return this.#subjectOf(fixture);
    const replica = await fixture.openReplica();
    this.#opened.push(replica);
    return replica;
  }

  /** Closes the replicas and the subject, then disposes of the fixture. */
  async release(): Promise<void> {
    const fixture = this.#fixture;
    this.#fixture = undefined;
    const opened = this.#opened.splice(0);
    for (const replica of opened) await replica.close();
    if (fixture === undefined) return;
    await this.#subjectOf(fixture).close();
    await fixture.dispose?.();
  }

  /** The subject of the running test. @throws {Error} when no fixture is set up. */
  protected subject(): T {
    return this.#subjectOf(this.current());
  }

  /** The fixture of the running test. @throws {Error} when none is set up. */
  protected current(): F {
    if (this.#fixture === undefined) throw new Error(this.#noFixture);
    return this.#fixture;
  }
}

/** One topic of a suite: the name of its group and the function that declares its tests. */
export type CaseGroup<C> = readonly [name: string, register: (t: TestApi, ctx: C) => void];

/**
 * Declares a suite: one group `title` whose tests each get a fresh fixture from `setup`
 * (installed in `holder` before the test, released after it), holding one sub-group per entry
 * of `groups`, in order.
 */
export function describeSuite<F, H extends { use(fixture: F): void; release(): Promise<void> }>(
  t: TestApi,
  title: string,
  setup: () => Promise<F>,
  holder: H,
  groups: readonly CaseGroup<H>[],
): void {
  t.describe(title, () => {
    t.beforeEach(async () => {
      holder.use(await setup());
    });
    t.afterEach(async () => {
      await holder.release();
    });
    for (const [name, register] of groups) t.describe(name, () => register(t, holder));
  });
}
