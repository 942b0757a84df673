/**
 * The pause before sending a Cluster command again after a reply that says the cluster is still
 * settling (see {@link sendWhileSettling}), ms; on a Cluster client the storage creates it is
 * ioredis's `retryDelayOnMoved` (default there 0), its redirections followed until the call's
 * `timeoutMs` (`maxRedirections` = `timeoutMs` / this, at least 16).
 */
export const ClusterRedirectDelayMs = 10;

/**
 * Replies a Cluster gives while a failover or a slot migration settles, each saying the command
 * was not run: `MOVED` and `ASK` left over once the client stopped following them (the old and
 * new primary can answer `MOVED` back and forth until they agree), `TRYAGAIN` (a key of a slot in
 * migration) and `CLUSTERDOWN` (a moment without an owner for a slot).
 */
const SettlingReply = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b/;

/** Whether `error` is one of the Cluster's settling replies (the command was not run). */
export function isSettlingReply(error: unknown): boolean {
  return error instanceof Error && SettlingReply.test(error.message);
}

/**
 * Sends with `send` and, while the Cluster answers a settling reply ({@link isSettlingReply}),
 * sends again after {@link ClusterRedirectDelayMs}, until `boundMs` (ms, the call's own bound)
 * from the first send would pass; then the last reply is thrown. For a client whose own
 * redirection following is instant and capped (node-redis follows 16 `MOVED` without a pause):
 * a failover that takes longer than 16 hops to settle would otherwise fail calls that a moment
 * later succeed. Safe to repeat: a settling reply means the command did not run.
 */
export async function sendWhileSettling<T>(send: () => Promise<T>, boundMs: number): Promise<T> {
  const deadline = performance.now() + boundMs;
  for (;;) {
    try {
      return await send();
    } catch (error) {
      if (!isSettlingReply(error) || performance.now() + ClusterRedirectDelayMs >= deadline) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, ClusterRedirectDelayMs));
    }
  }
}
