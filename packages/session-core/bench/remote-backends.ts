import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

/** Bench backends running in a child process (see backend-process.ts). */
export interface RemoteBackends {
  readonly urls: readonly string[];
  /** JSON-RPC methods received so far, summed over the backends. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

const script = fileURLToPath(new URL("./backend-process.js", import.meta.url));

/** Starts `count` backends, each delaying `initialize` by `delayMs`, in one child process. */
export async function startRemoteBackends(count: number, delayMs: number): Promise<RemoteBackends> {
  const child: ChildProcess = fork(script, [String(count), String(delayMs)], { stdio: "inherit" });
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
