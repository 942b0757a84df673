import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import {
  Cancellations,
  RequestCancelledError,
} from "../dist/http/mcp-2025-11-25/relay/cancellations.js";

/** V8's full collection, without starting the worker with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString("--expose_gc");
  (runInNewContext("gc") as () => void)();
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("Cancellations", () => {
  it("aborts a request's signal when the client cancels it, or when its POST's signal aborts", () => {
    const cancellations = new Cancellations();
    const post = new AbortController();
    const first = cancellations.begin("s", 1, post.signal);
    const second = cancellations.begin("s", "two", post.signal);
    expect(cancellations.cancel("s", 1, "no longer needed")).toBe(true);
    expect(first.signal.reason).toBeInstanceOf(RequestCancelledError);
    expect(second.signal.aborted).toBe(false);
    post.abort(new Error("client gone"));
    expect((second.signal.reason as Error).message).toBe("client gone");
    first.done();
    expect(cancellations.cancel("s", 1, undefined)).toBe(false);
  });

  it("lets a finished request's signal be collected, although an abort listener stays on it (as the MCP SDK leaves one per request)", async () => {
    const cancellations = new Cancellations();
    const post = new AbortController(); // outlives its requests, as a POST of a batch does
    // A request in its own frame, so that no local of the test keeps the last one alive.
    const finishOne = (id: number): WeakRef<AbortSignal> => {
      const request = cancellations.begin("s", id, post.signal);
      request.signal.addEventListener("abort", () => undefined);
      request.done();
      return new WeakRef(request.signal);
    };
    const signals = Array.from({ length: 100 }, (_, id) => finishOne(id));
    for (let round = 0; round < 3; round++) {
      await turn();
      collectGarbage();
    }
    expect(signals.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    expect(post.signal.aborted).toBe(false);
  });
});
