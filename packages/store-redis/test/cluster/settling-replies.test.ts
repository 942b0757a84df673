/**
 * `sendWhileSettling`: a Cluster command refused while a failover or a migration settles is sent
 * again after a pause, within the call's bound; anything else, and a refusal past the bound, is
 * thrown as it came. (node-redis follows `MOVED` 16 times without a pause, so a slow failover
 * used to fail calls the cluster would have served a moment later.)
 */
import { describe, expect, it } from "vitest";
import {
  ClusterRedirectDelayMs,
  isSettlingReply,
  sendWhileSettling,
} from "../../dist/cluster/settling-replies.js";

/** A send that rejects with each of `replies` in turn, then resolves `"OK"`; counts its calls. */
function scripted(replies: readonly string[]) {
  let calls = 0;
  const send = async () => {
    const reply = replies[calls++];
    if (reply !== undefined) throw new Error(reply);
    return "OK";
  };
  return { send, calls: () => calls };
}

describe("sendWhileSettling", () => {
  it("sends again through MOVED, ASK, TRYAGAIN and CLUSTERDOWN replies until the cluster answers", async () => {
    const replies = [
      ...Array.from({ length: 20 }, () => "MOVED 866 127.0.0.1:7001"),
      "ASK 866 127.0.0.1:7002",
      "TRYAGAIN Multiple keys request during rehashing of slot",
      "CLUSTERDOWN The cluster is down",
    ];
    const { send, calls } = scripted(replies);
    await expect(sendWhileSettling(send, 2_000)).resolves.toBe("OK");
    expect(calls()).toBe(replies.length + 1);
  });

  it("throws anything else at once, unchanged", async () => {
    const { send, calls } = scripted(["WRONGTYPE Operation against a key holding the wrong kind"]);
    await expect(sendWhileSettling(send, 2_000)).rejects.toThrow(/^WRONGTYPE/);
    expect(calls()).toBe(1);
  });

  it("throws the last settling reply once the bound would pass, without sending past it", async () => {
    const boundMs = 200;
    const { send, calls } = scripted(
      Array.from({ length: 10_000 }, () => "MOVED 1 127.0.0.1:7001"),
    );
    const started = performance.now();
    await expect(sendWhileSettling(send, boundMs)).rejects.toThrow(/^MOVED 1 /);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(boundMs - ClusterRedirectDelayMs);
    expect(elapsed).toBeLessThan(boundMs + 1_000);
    // One send per pause at the most: no busy loop.
    expect(calls()).toBeLessThanOrEqual(Math.ceil(boundMs / ClusterRedirectDelayMs) + 1);
  });

  it("tells settling replies from others by their first word", () => {
    expect(isSettlingReply(new Error("MOVED 3999 127.0.0.1:6381"))).toBe(true);
    expect(isSettlingReply(new Error("CLUSTERDOWN Hash slot not served"))).toBe(true);
    expect(isSettlingReply(new Error("NOSCRIPT No matching script"))).toBe(false);
    expect(isSettlingReply(new Error("ERR MOVED is not a command"))).toBe(false);
    expect(isSettlingReply("MOVED 1 a:1")).toBe(false);
  });
});
