import type { SessionStorage } from "@vmcp/session-core";

/** One failed operation of a {@link SteadyLoad}. */
export interface FailedOperation {
  /** `create`, `load` or `update`. */
  readonly operation: string;
  /** When it settled, `performance.now()` ms. */
  readonly at: number;
  /** What it threw (or a description of a wrong answer). */
  readonly error: unknown;
}

/** A steady stream of creates, loads and updates against one storage, from a few workers. */
export interface SteadyLoad {
  /** Operations that settled so far. */
  readonly completed: number;
  /** Every failed operation, in order. */
  readonly failures: readonly FailedOperation[];
  /** Resolves once at least `count` more operations have completed (bounded by `timeoutMs`). */
  advance(count: number, timeoutMs?: number): Promise<void>;
  /** Stops the workers; resolves when every in-flight operation has settled. */
  stop(): Promise<void>;
  /**
   * Reads every acknowledged write back (after {@link stop}) and resolves how many are missing:
   * created sessions that are gone, and acknowledged metadata keys absent from their session.
   */
  missingAcknowledged(reader: SessionStorage): Promise<number>;
}

/**
 * Starts `workers` loops, each repeating create / load / update (the loads and updates on
 * sessions whose create was acknowledged), pausing `pauseMs` between operations so the stream
 * is steady without starving the rest of the machine. A load that answers `undefined` for an
 * acknowledged session and an update that answers `false` count as failures too.
 */
export function startSteadyLoad(
  storage: SessionStorage,
  label: string,
  options: { workers?: number; pauseMs?: number } = {},
): SteadyLoad {
  const workers = options.workers ?? 6;
  const pauseMs = options.pauseMs ?? 1;
  /** Acknowledged sessions and, for each, the metadata keys acknowledged on it. */
  const acknowledged = new Map<string, Set<string>>();
  const ids: string[] = [];
  const failures: FailedOperation[] = [];
  let completed = 0;
  let sequence = 0;
  let stopped = false;
  const fail = (operation: string, error: unknown): void => {
    failures.push({ operation, at: performance.now(), error });
  };
  const pick = (): string | undefined => ids[Math.floor(Math.random() * ids.length)];

  const step = async (): Promise<void> => {
    const n = sequence++;
    const kind = ids.length < 20 ? 0 : n % 3;
    if (kind === 0) {
      const id = `${label}-${n}`;
      try {
        if (await storage.create({ id, metadata: { n: String(n) } })) {
          acknowledged.set(id, new Set(["n"]));
          ids.push(id);
        } else {
          fail("create", new Error(`create ${id} answered false`));
        }
      } catch (error) {
        fail("create", error);
      }
      return;
    }
    const id = pick();
    if (id === undefined) return;
    if (kind === 1) {
      try {
        if ((await storage.load(id)) === undefined) {
          fail("load", new Error(`acknowledged session ${id} loaded as missing`));
        }
      } catch (error) {
        fail("load", error);
      }
      return;
    }
    const key = `u${n}`;
    try {
      if (await storage.update(id, { set: { [key]: "1" } })) acknowledged.get(id)?.add(key);
      else fail("update", new Error(`update of acknowledged session ${id} answered false`));
    } catch (error) {
      fail("update", error);
    }
  };

  const loop = async (): Promise<void> => {
    while (!stopped) {
      await step();
      completed++;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  const running = Array.from({ length: workers }, loop);

  return {
    get completed() {
      return completed;
    },
    failures,
    async advance(count, timeoutMs = 20_000) {
      const target = completed + count;
      const deadline = performance.now() + timeoutMs;
      while (completed < target) {
        if (performance.now() > deadline) {
          throw new Error(`the load did not advance by ${count} operations in ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async stop() {
      stopped = true;
      await Promise.all(running);
    },
    async missingAcknowledged(reader) {
      let missing = 0;
      const entries = [...acknowledged];
      for (let i = 0; i < entries.length; i += 100) {
        const batch = entries.slice(i, i + 100);
        const records = await Promise.all(batch.map(([id]) => reader.load(id)));
        batch.forEach(([, keys], j) => {
          const record = records[j];
          if (record === undefined) {
            missing += keys.size;
            return;
          }
          for (const key of keys) if (record.metadata[key] === undefined) missing++;
        });
      }
      return missing;
    },
  };
}
