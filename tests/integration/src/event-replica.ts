import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type {
  NotifyCall,
  ReplicaCommand,
  ReplicaConfig,
  ReplicaError,
  ReplicaMessage,
} from "./event-replica-protocol.js";

/** The compiled entry, whether this module runs from `src/` (under vitest) or from `dist/`. */
const script = fileURLToPath(new URL("../dist/event-replica-process.js", import.meta.url));

/** How long a replica may take to start (import the SDK, connect to Redis, listen), ms. */
const StartTimeoutMs = 30_000;

/** An SDK v2 server process whose `subscriptions/listen` events cross processes on Redis. */
export interface EventReplica {
  /** Its MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  readonly url: string;
  /** The adapter's source ID in the frames it publishes. */
  readonly sourceId: string;
  /** The process ID (to kill it in a test). */
  readonly pid: number;
  /** Every error its adapter and its handler reported so far, in order. */
  readonly errors: readonly ReplicaError[];
  /** Calls `handler.notify.<method>()` in the replica; resolves once it was called. */
  notify(call: NotifyCall): Promise<void>;
  /** Publishes a time-stamped `tools_list_changed` (see `SentAtMetaKey`); resolves once published. */
  stamped(): Promise<void>;
  /** Closes the handler, the adapter and the bus, and waits for the process to exit. Idempotent. */
  close(): Promise<void>;
}

/**
 * Forks an event replica (`event-replica-process.ts`) and resolves once it listens.
 * @throws {Error} when it exits or stays silent for 30 s first.
 */
export async function startEventReplica(config: ReplicaConfig): Promise<EventReplica> {
  const child: ChildProcess = fork(script, [JSON.stringify(config)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const errors: ReplicaError[] = [];
  const waiting = new Map<number, () => void>();
  let ready: ((value: { url: string; sourceId: string }) => void) | undefined;
  const started = new Promise<{ url: string; sourceId: string }>((resolve) => {
    ready = resolve;
  });
  child.on("message", (message: ReplicaMessage) => {
    if ("ready" in message) ready?.(message.ready);
    else if ("reply" in message) waiting.get(message.reply)?.();
    else errors.push(message.error);
  });
  const exited = once(child, "exit");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const info = await Promise.race([
    started,
    exited.then(() => {
      throw new Error(`event replica ${config.name} exited before it listened`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`event replica ${config.name} did not listen within ${StartTimeoutMs} ms`),
          ),
        StartTimeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));

  let nextId = 1;
  const command = (make: (id: number) => ReplicaCommand): Promise<void> => {
    const id = nextId++;
    const replied = new Promise<void>((resolve) => waiting.set(id, resolve));
    child.send(make(id));
    return replied.finally(() => waiting.delete(id));
  };
  let closing: Promise<void> | undefined;
  return {
    url: info.url,
    sourceId: info.sourceId,
    pid: child.pid ?? -1,
    errors,
    notify: (call) => command((id) => ({ id, op: "notify", ...call })),
    stamped: () => command((id) => ({ id, op: "stamped" })),
    close() {
      closing ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.send({ id: 0, op: "close" } satisfies ReplicaCommand);
        await exited;
      })();
      return closing;
    },
  };
}
