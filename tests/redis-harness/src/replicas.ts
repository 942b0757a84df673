import { spawn } from "node:child_process";
import type { RedisServer } from "./redis-process.js";
import { delay } from "./redis-process.js";
import { requireRedisServer } from "./require-redis.js";

/** The key {@link waitForReplicaAcks} writes on the master to probe its replicas. */
export const ReplicaProbeKey = "vmcp-harness:replica-probe";

/**
 * Resolves once `master` has `replicas` replicas that confirm its writes: a write followed by
 * `WAIT <replicas> 200` on one connection answers at least `replicas`. A replica whose link is
 * up may not confirm yet (after a diskless sync Redis streams to it only from its first
 * acknowledgement, up to a second later), so tests of `WAIT` start from here.
 * @throws {Error} after `timeoutMs` (default 15,000 ms).
 */
export async function waitForReplicaAcks(
  master: RedisServer,
  replicas = 1,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    last = await probe(master.port, replicas).catch((error: unknown) => String(error));
    if (Number(last) >= replicas) return;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${replicas} replica(s) of port ${master.port} to confirm a write (last WAIT: ${last})`,
      );
    }
    await delay(100);
  }
}

/** `SET` then `WAIT` on one redis-cli connection (commands on stdin); resolves WAIT's reply. */
function probe(port: number, replicas: number): Promise<string> {
  const { redisCli } = requireRedisServer();
  return new Promise((resolve, reject) => {
    const child = spawn(redisCli, ["-h", "127.0.0.1", "-p", String(port)], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(out.trim().split("\n").at(-1)?.trim() ?? "");
    });
    child.stdin.end(`SET ${ReplicaProbeKey} ${Date.now()}\nWAIT ${replicas} 200\n`);
  });
}
