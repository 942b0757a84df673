import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

/** JSON backends running in a child process, so a benchmark's process holds only the client side. */
export interface RemoteJsonBackends {
  /** Their Streamable HTTP endpoints. */
  readonly urls: readonly string[];
  /** JSON-RPC methods received so far, summed over the backends. */
  counts(): Promise<Record<string, number>>;
  /** Closes the backends and waits for the child process to exit. */
  close(): Promise<void>;
}

const script = fileURLToPath(new URL("./json-backend-process.js", import.meta.url));

/**
 * Starts `count` JSON backends (see `startJsonBackend`), each delaying `initialize` by
 * `initializeDelayMs` (ms, default 0), in one child process.
 */
export async function startRemoteJsonBackends(
  count: number,
  initializeDelayMs = 0,
): Promise<RemoteJsonBackends> {
  const child: ChildProcess = fork(script, [String(count), String(initializeDelayMs)], {
    stdio: "inherit",
  });
  const [ready] = (await once(child, "message")) as [{ urls: string[] }];
  return {
    urls: ready.urls,
    counts: async () => {
      const reply = once(child, "message");
      child.send("counts");
      const [message] = (await reply) as [{ counts: Record<string, number> }];
      return message.counts;
    },
    close: async () => {
      const exited = once(child, "exit");
      child.send("close");
      await exited;
    },
  };
}
