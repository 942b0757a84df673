/**
 * The test functions of the runner that hosts the suites. Pass your runner's own (vitest, jest,
 * mocha or `node:test` all fit), so the suites never import a runner's globals.
 */
export interface TestApi {
  /** Groups tests, e.g. vitest's `describe`. */
  describe(name: string, body: () => void): void;
  /** Declares one test, e.g. vitest's `it`. Each suite test finishes well within 5 s. */
  it(name: string, body: () => Promise<void>): void;
  /** Runs before each test in the enclosing group. */
  beforeEach(body: () => Promise<void>): void;
  /** Runs after each test in the enclosing group. */
  afterEach(body: () => Promise<void>): void;
}
