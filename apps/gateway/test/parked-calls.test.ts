/**
 * The parts of parked calls (issue 21, part 2) on their own: a parkable call's rounds, the
 * replica's bounded table, and the router's bounds when the holder is silent or gone, over the
 * in-process message bus.
 */
import type { Notification } from "@modelcontextprotocol/server";
import { InProcessMessageBus } from "@vmcp/store-memory";
import { afterEach, describe, expect, it } from "vitest";
import { ParkedRouteKey } from "../dist/http/mcp-2026-07-28/backends/pooled-channel.js";
import type { CallSink } from "../dist/http/mcp-2026-07-28/parked/call-sink.js";
import { parkChannel } from "../dist/http/mcp-2026-07-28/parked/park-messages.js";
import { ParkableCall } from "../dist/http/mcp-2026-07-28/parked/parkable-call.js";
import { ParkedCallRouter } from "../dist/http/mcp-2026-07-28/parked/parked-call-router.js";
import { ParkedCalls } from "../dist/http/mcp-2026-07-28/parked/parked-calls.js";
import { createLogger } from "../dist/logger.js";

const log = createLogger("silent", { destination: { write: () => undefined } });
const times = {
  callTimeoutMs: 5_000,
  parkTimeoutMs: 5_000,
  batchMs: 5,
  maxBufferedNotifications: 2,
};
const everything = { elicitation: { form: {} }, sampling: {}, roots: {} };

function sink(seen: Notification[] = [], signal = new AbortController().signal): CallSink {
  return { notify: (n) => void seen.push(n), progressToken: "p", logs: true, signal };
}

/** A backend call that ends when `finish` is called. */
function backendCall() {
  let finish: (value: Record<string, unknown>) => void = () => undefined;
  const done = new Promise<Record<string, unknown>>((resolve) => {
    finish = resolve;
  });
  return { done, finish };
}

const buses: InProcessMessageBus[] = [];
afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.close();
});

describe("a parkable call", () => {
  it("gathers requests into one round, answers them by key, keeps notifications while parked and asks again what was left unanswered", async () => {
    const lot = new ParkedCalls(4);
    const call = new ParkableCall({ ...times, workloadId: "w", capabilities: everything, lot });
    const backend = backendCall();
    const first = call.start(() => backend.done, sink());
    const form = call.input(
      { method: "elicitation/create", params: { mode: "form" } },
      new AbortController().signal,
    );
    const roots = call.input({ method: "roots/list" }, new AbortController().signal);
    const round = await first;
    expect(round).toMatchObject({
      resultType: "input_required",
      inputRequests: {
        "elicitation-1": { method: "elicitation/create" },
        "roots-2": { method: "roots/list" },
      },
    });
    expect((round as Record<PropertyKey, unknown>)[ParkedRouteKey]).toEqual({
      replicaId: lot.replicaId,
      callId: call.callId,
    });
    expect(lot.size).toBe(1);
    // Parked: two notifications kept, the third dropped and counted.
    for (let i = 1; i <= 3; i++) {
      call.notify({
        method: "notifications/progress",
        params: { progressToken: "x", progress: i },
      } as Notification);
    }
    const seen: Notification[] = [];
    const second = call.resume({ "elicitation-1": { action: "accept" }, unknown: {} }, sink(seen));
    await expect(form).resolves.toEqual({ action: "accept" });
    expect(await second).toMatchObject({ inputRequests: { "roots-2": {} } });
    expect(seen.map((n) => n.params)).toEqual([
      { progressToken: "p", progress: 1 },
      { progressToken: "p", progress: 2 },
    ]);
    expect(lot.droppedNotifications).toBe(1);
    const third = call.resume({ "roots-2": { roots: [] } }, sink());
    await expect(roots).resolves.toEqual({ roots: [] });
    backend.finish({ content: [] });
    await expect(third).resolves.toEqual({ content: [] });
    expect(lot.size).toBe(0);
  });

  it("embeds a backend request's params without the backend connection's progress token (other _meta keys stay)", async () => {
    const lot = new ParkedCalls(4);
    const call = new ParkableCall({ ...times, workloadId: "w", capabilities: everything, lot });
    const first = call.start(() => new Promise(() => undefined), sink());
    const signal = new AbortController().signal;
    void call
      .input(
        {
          method: "elicitation/create",
          params: { _meta: { progressToken: 0 }, mode: "form", message: "m" },
        },
        signal,
      )
      .catch(() => undefined);
    void call
      .input({ method: "roots/list", params: { _meta: { progressToken: 1, "x/y": 2 } } }, signal)
      .catch(() => undefined);
    expect(await first).toMatchObject({
      inputRequests: {
        "elicitation-1": { params: { mode: "form", message: "m" } },
        "roots-2": { params: { _meta: { "x/y": 2 } } },
      },
    });
    const { inputRequests } = (await first) as {
      inputRequests: Record<string, { params: object }>;
    };
    expect(inputRequests["elicitation-1"]?.params).not.toHaveProperty("_meta");
    expect(inputRequests["roots-2"]?.params).toEqual({ _meta: { "x/y": 2 } });
    call.cancel(new Error("done"));
  });

  it("answers a round only once its record is written (a holder killed right after it can still be cancelled from elsewhere)", async () => {
    let written: () => void = () => undefined;
    const recorded = new Promise<void>((resolve) => {
      written = resolve;
    });
    const call = new ParkableCall({
      ...times,
      workloadId: "w",
      capabilities: everything,
      lot: new ParkedCalls(4),
      onParked: () => recorded,
    });
    const round = call.start(() => backendCall().done, sink());
    const asked = call.input({ method: "roots/list" }, new AbortController().signal);
    asked.catch(() => undefined);
    let answered = false;
    void round.then(() => {
      answered = true;
    });
    await new Promise((resolve) => setTimeout(resolve, times.batchMs * 10));
    expect(answered).toBe(false);
    written();
    await expect(round).resolves.toMatchObject({ resultType: "input_required" });
    call.cancel(new Error("test over"));
    await expect(asked).rejects.toThrow(/gone/);
  });

  it("refuses what the caller did not declare, and a backend request beyond the table's bound", async () => {
    const lot = new ParkedCalls(1);
    const signal = new AbortController().signal;
    const onlyForms = new ParkableCall({
      ...times,
      workloadId: "w",
      capabilities: { elicitation: { form: {} } },
      lot,
    });
    void onlyForms.start(() => new Promise(() => undefined), sink()).catch(() => undefined);
    await expect(
      onlyForms.input({ method: "sampling/createMessage" }, signal),
    ).rejects.toMatchObject({
      code: "VMCP_INPUT_NOT_DECLARED",
    });
    void onlyForms
      .input({ method: "elicitation/create", params: {} }, signal)
      .catch(() => undefined);
    const other = new ParkableCall({ ...times, workloadId: "w", capabilities: everything, lot });
    void other.start(() => new Promise(() => undefined), sink()).catch(() => undefined);
    await expect(other.input({ method: "roots/list" }, signal)).rejects.toMatchObject({
      code: "VMCP_TOO_MANY_PARKED_CALLS",
    });
    onlyForms.cancel(new Error("done"));
    other.cancel(new Error("done"));
  });

  it("a call not retried within the park timeout is cancelled, and a later resume is gone", async () => {
    const lot = new ParkedCalls(4);
    const call = new ParkableCall({
      ...times,
      parkTimeoutMs: 30,
      workloadId: "w",
      capabilities: everything,
      lot,
    });
    const first = call.start(() => new Promise(() => undefined), sink());
    void call.input({ method: "roots/list" }, new AbortController().signal).catch(() => undefined);
    await first;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(call.signal.aborted).toBe(true);
    expect(lot.size).toBe(0);
    await expect(call.resume({}, sink())).rejects.toMatchObject({ code: "VMCP_PARKED_CALL_GONE" });
  });
});

describe("the parked call router", () => {
  const router = (bus: InProcessMessageBus, calls = new ParkedCalls(4)) =>
    new ParkedCallRouter({
      bus,
      calls,
      ackTimeoutMs: 80,
      heartbeatMs: 20,
      missedHeartbeats: 2,
      log,
    });
  const resume = (r: ParkedCallRouter, replicaId: string) =>
    r.resume(
      { replicaId, callId: "c" },
      {
        workloadId: "w",
        inputResponses: {},
        notify: async () => {},
        logs: false,
        signal: new AbortController().signal,
      },
    );

  it("a holder that never acknowledges: gone within the ack bound", async () => {
    const bus = new InProcessMessageBus();
    buses.push(bus);
    const here = router(bus);
    await here.start();
    const started = performance.now();
    await expect(resume(here, "nobody")).rejects.toMatchObject({ code: "VMCP_PARKED_CALL_GONE" });
    expect(performance.now() - started).toBeLessThan(500);
    await here.close();
  });

  it("a holder that acknowledges, then falls silent: gone once heartbeats are missed", async () => {
    const bus = new InProcessMessageBus();
    buses.push(bus);
    const here = router(bus);
    await here.start();
    const lost: string[] = [];
    const silent = new ParkedCallRouter({
      bus,
      calls: new ParkedCalls(4),
      ackTimeoutMs: 80,
      heartbeatMs: 20,
      missedHeartbeats: 2,
      onHolderLost: (route) => lost.push(route.callId),
      log,
    });
    // A holder that acks every resume and says nothing more.
    await bus.subscribe(parkChannel("mute"), (text) => {
      const m = JSON.parse(text) as { resumeId: string; replyTo: string };
      void bus.publish(parkChannel(m.replyTo), JSON.stringify({ k: "ack", resumeId: m.resumeId }));
    });
    await silent.start();
    const started = performance.now();
    await expect(resume(silent, "mute")).rejects.toMatchObject({ code: "VMCP_PARKED_CALL_GONE" });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(35);
    expect(elapsed).toBeLessThan(500);
    expect(lost).toEqual(["c"]);
    await Promise.all([here.close(), silent.close()]);
  });

  it("resumes a call held by another router: its notifications and its result come back", async () => {
    const bus = new InProcessMessageBus();
    buses.push(bus);
    const calls = new ParkedCalls(4);
    const holder = router(bus, calls);
    const retrier = router(bus);
    await Promise.all([holder.start(), retrier.start()]);
    const call = new ParkableCall({
      ...times,
      workloadId: "w",
      capabilities: everything,
      lot: calls,
    });
    const backend = backendCall();
    const first = call.start(() => backend.done, sink());
    const answered = call.input({ method: "roots/list" }, new AbortController().signal);
    const round = await first;
    const route = (round as Record<PropertyKey, unknown>)[ParkedRouteKey] as {
      replicaId: string;
      callId: string;
    };
    const seen: unknown[] = [];
    const result = retrier.resume(route, {
      workloadId: "w",
      inputResponses: { "roots-1": { roots: [{ uri: "file:///x" }] } },
      notify: async (n) => void seen.push(n.params),
      progressToken: "mine",
      logs: false,
      signal: new AbortController().signal,
    });
    await expect(answered).resolves.toEqual({ roots: [{ uri: "file:///x" }] });
    call.notify({
      method: "notifications/progress",
      params: { progressToken: "x", progress: 5 },
    } as Notification);
    await new Promise((resolve) => setTimeout(resolve, 20));
    backend.finish({ content: [{ type: "text", text: "ok" }] });
    await expect(result).resolves.toEqual({ content: [{ type: "text", text: "ok" }] });
    expect(seen).toEqual([{ progressToken: "mine", progress: 5 }]);
    await Promise.all([holder.close(), retrier.close()]);
  });

  it("a bus that refuses the holder's subscription at start: start resolves, and the holder is reached once a retry subscribes it", async () => {
    const bus = new InProcessMessageBus();
    buses.push(bus);
    let refusals = 1;
    const flaky = {
      publish: (sessionId: string, message: string) => bus.publish(sessionId, message),
      subscribe: (...args: Parameters<InProcessMessageBus["subscribe"]>) =>
        refusals-- > 0 ? Promise.reject(new Error("bus down")) : bus.subscribe(...args),
      close: async () => {},
    };
    const calls = new ParkedCalls(4);
    const holder = new ParkedCallRouter({
      bus: flaky,
      calls,
      ackTimeoutMs: 80,
      heartbeatMs: 20,
      missedHeartbeats: 2,
      subscribeRetryMs: 30,
      log,
    });
    const retrier = router(bus);
    await Promise.all([holder.start(), retrier.start()]);
    // Not subscribed yet: nobody acknowledges the retry.
    await expect(resume(retrier, calls.replicaId)).rejects.toThrow(
      /no acknowledgement|within 80 ms/,
    );
    await new Promise((resolve) => setTimeout(resolve, 60));
    // Subscribed by its retry: the holder itself answers (it holds no call "c").
    await expect(resume(retrier, calls.replicaId)).rejects.toThrow(
      /timed out waiting for input, or ended/,
    );
    await Promise.all([holder.close(), retrier.close()]);
  });
});
