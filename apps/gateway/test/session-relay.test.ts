import { EventEmitter, once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { BusUnavailableError, type SessionMessageBus } from "@vmcp/session-core";
import { ReferenceStorage } from "@vmcp/session-core/testing";
import { InProcessMessageBus } from "@vmcp/store-memory";
import { afterEach, describe, expect, it } from "vitest";
import { McpEndpoint } from "../dist/http/endpoint/mcp-endpoint.js";
import { SessionRelay } from "../dist/http/mcp-2025-11-25/relay/session-relay.js";
import type { PostResponse } from "../dist/http/responses/post-response.js";
import { CursorCodec } from "../dist/http/routing/cursor.js";
import { RequestRouter } from "../dist/http/routing/router.js";
import type { ServedSession, SessionService } from "../dist/http/routing/session-service.js";
import { AnonymousVerifier } from "../dist/identity/anonymous-verifier.js";
import { createLogger } from "../dist/logger.js";

const log = createLogger("silent", { destination: { write: () => undefined } });
const sessionId = "relay-unit-session";
const session = { id: sessionId, getMetadata: () => ({}) } as unknown as ServedSession;
const origin = { sessionId, workloadId: "w" };

/** A POST response that records what it was given, live until `finish`. */
function fakeResponse() {
  const delivered: Record<string, unknown>[] = [];
  let live = true;
  const response = {
    get live() {
      return live;
    },
    get streamable() {
      return live;
    },
    deliver: (message: Record<string, unknown>) => {
      if (!live) return false;
      delivered.push(message);
      return true;
    },
    finish: () => {
      live = false;
    },
  };
  return { response: response as unknown as PostResponse, delivered };
}

/** Enough of a `ServerResponse` for an SSE stream: what was written, and `close()`. */
function fakeStreamResponse() {
  const res = Object.assign(new EventEmitter(), {
    written: "",
    destroyed: false,
    writableEnded: false,
    writableLength: 0,
    writeHead: () => res,
    write: (chunk: string) => {
      res.written += chunk;
      return true;
    },
    end: () => {
      res.writableEnded = true;
      res.emit("close");
    },
    destroy: () => {
      res.destroyed = true;
      res.emit("close");
    },
  });
  return res;
}

/** The JSON-RPC error a relayed server request rejected with. */
async function rejection(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error as { code: number; message: string; data?: { code?: string } };
  }
  throw new Error("it resolved");
}

const relays: SessionRelay[] = [];
const buses: SessionMessageBus[] = [];
function relay(options: Partial<ConstructorParameters<typeof SessionRelay>[0]> = {}) {
  const bus = options.bus ?? new InProcessMessageBus();
  buses.push(bus);
  const made = new SessionRelay({ bus, log, ...options });
  relays.push(made);
  return made;
}
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
  for (const b of buses.splice(0)) await b.close();
});

describe("SessionRelay (server-to-client requests, answers and cancellations)", () => {
  it("a server request with no client stream anywhere is refused within the ack bound with a typed error for the backend", async () => {
    const error = await rejection(
      relay({ answerAckTimeoutMs: 200 }).request(
        origin,
        { method: "roots/list" },
        new AbortController().signal,
      ),
    );
    expect(error.code).toBe(-32603);
    expect(error.data?.code).toBe("VMCP_NO_CLIENT_STREAM");
  });

  it("relays a request on its client request's stream under a gateway ID and resolves the client's answer", async () => {
    const r = relay();
    const { response, delivered } = fakeResponse();
    const inFlight = r.begin(session, {}, response);
    const pending = r.run(inFlight, () =>
      r.request(origin, { method: "roots/list" }, new AbortController().signal),
    );
    await expect.poll(() => delivered.length).toBe(1);
    const id = delivered[0]?.id as string;
    expect(id).toMatch(/^vmcp:[A-Za-z0-9_-]{22}$/);
    expect(delivered[0]).toMatchObject({ jsonrpc: "2.0", method: "roots/list" });
    await r.answer(sessionId, { id, result: { roots: [] } });
    await expect(pending).resolves.toEqual({ roots: [] });
    r.end(inFlight);
  });

  it("bounds the requests waiting per session, and ends the ones whose client request ended", async () => {
    const r = relay({ maxPendingServerRequests: 1 });
    const { response } = fakeResponse();
    const inFlight = r.begin(session, {}, response);
    const first = r.run(inFlight, () =>
      r.request(origin, { method: "roots/list" }, new AbortController().signal),
    );
    const second = await rejection(
      r.run(inFlight, () =>
        r.request(origin, { method: "roots/list" }, new AbortController().signal),
      ),
    );
    expect(second.data?.code).toBe("VMCP_TOO_MANY_SERVER_REQUESTS");
    expect(second.code).toBe(-32005);
    r.end(inFlight);
    expect((await rejection(first)).data?.code).toBe("VMCP_SERVER_REQUEST_ABANDONED");
  });

  it("a request the client never answers ends at the timeout; the backend cancelling one tells the client", async () => {
    const r = relay({ serverRequestTimeoutMs: 100 });
    const { response, delivered } = fakeResponse();
    const inFlight = r.begin(session, {}, response);
    const late = r.run(inFlight, () =>
      r.request(origin, { method: "sampling/createMessage" }, new AbortController().signal),
    );
    const timedOut = await rejection(late);
    expect(timedOut.data?.code).toBe("VMCP_SERVER_REQUEST_TIMEOUT");
    expect(timedOut.message).toContain("within 100 ms");

    const controller = new AbortController();
    const cancelled = r.run(inFlight, () =>
      r.request(origin, { method: "elicitation/create" }, controller.signal),
    );
    await expect.poll(() => delivered.length).toBe(2);
    controller.abort();
    expect((await rejection(cancelled)).data?.code).toBe("VMCP_SERVER_REQUEST_ABANDONED");
    expect(delivered[2]).toMatchObject({
      method: "notifications/cancelled",
      params: { requestId: delivered[1]?.id },
    });
    r.end(inFlight);
  });

  it("an answer POSTed to another replica reaches the waiter over the bus; a client's error passes through", async () => {
    const bus = new InProcessMessageBus();
    const holder = relay({ bus });
    const other = relay({ bus, answerAckTimeoutMs: 300 });
    const { response, delivered } = fakeResponse();
    const inFlight = holder.begin(session, {}, response);
    const pending = holder.run(inFlight, () =>
      holder.request(origin, { method: "sampling/createMessage" }, new AbortController().signal),
    );
    const failed = rejection(pending);
    await expect.poll(() => delivered.length).toBe(1);
    await other.answer(sessionId, {
      id: delivered[0]?.id,
      error: { code: -1, message: "user declined" },
    });
    const error = await failed;
    expect(error).toMatchObject({ code: -1, message: "user declined" });
    holder.end(inFlight);
    // Nobody waits any more: the other replica's answer is refused within the ack bound.
    const unclaimed = other.answer(sessionId, { id: delivered[0]?.id, result: {} });
    await expect(unclaimed).rejects.toMatchObject({ code: "VMCP_ANSWER_UNCLAIMED" });
  });

  it("an answer for a foreign ID is refused at once; a bus that cannot subscribe gives BusUnavailableError", async () => {
    const r = relay();
    await expect(r.answer(sessionId, { id: 7, result: {} })).rejects.toMatchObject({
      code: "VMCP_ANSWER_UNCLAIMED",
    });
    const broken: SessionMessageBus = {
      publish: async () => {
        throw new BusUnavailableError("down");
      },
      subscribe: async () => {
        throw new BusUnavailableError("down");
      },
      close: async () => undefined,
    };
    const offline = relay({ bus: broken });
    await expect(
      offline.answer(sessionId, { id: "vmcp:AAAAAAAAAAAAAAAAAAAAAA", result: {} }),
    ).rejects.toBeInstanceOf(BusUnavailableError);
  });

  it("a cancellation for a request another replica holds is published to it", async () => {
    const bus = new InProcessMessageBus();
    const holder = relay({ bus });
    const other = relay({ bus });
    const { response } = fakeResponse();
    const inFlight = holder.begin(session, {}, response);
    const request = holder.cancellations.begin(sessionId, 42, new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the holder's subscription is live
    await other.cancel(sessionId, 42, "enough");
    await expect.poll(() => request.signal.aborted).toBe(true);
    request.done();
    holder.end(inFlight);
  });

  it("over HTTP, an answer the bus cannot carry is a 503 with Retry-After, never a hang", async () => {
    const broken: SessionMessageBus = {
      publish: async () => {
        throw new BusUnavailableError("down");
      },
      subscribe: async () => {
        throw new BusUnavailableError("down");
      },
      close: async () => undefined,
    };
    const sessions: SessionService = {
      create: () => Promise.reject(new Error("unused")),
      get: async () => session,
      terminate: async () => true,
    };
    const endpoint = new McpEndpoint({
      sessions,
      verifier: new AnonymousVerifier(),
      log,
      maxBodyBytes: 65_536,
      router: new RequestRouter({ cursors: new CursorCodec(), storage: new ReferenceStorage() }),
      relay: relay({ bus: broken }),
    });
    const server = createServer((req, res) => void endpoint.handle(req, res));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const reply = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-session-id": sessionId,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: "vmcp:AAAAAAAAAAAAAAAAAAAAAA", result: {} }),
      });
      expect(reply.status).toBe(503);
      expect(reply.headers.get("retry-after")).toBe("1");
      expect(await reply.json()).toMatchObject({
        error: { code: -32000, data: { code: "VMCP_BUS_UNAVAILABLE" } },
      });
    } finally {
      server.close();
      await once(server, "close");
    }
  });

  it("a server request of no client request reaches the GET stream on another replica, and its answer comes back", async () => {
    const bus = new InProcessMessageBus();
    const holder = relay({ bus });
    const streamReplica = relay({ bus });
    const res = fakeStreamResponse();
    await streamReplica.openStream(session, res as never, {});
    const pending = holder.request(origin, { method: "roots/list" }, new AbortController().signal);
    await expect.poll(() => res.written.includes('"method":"roots/list"')).toBe(true);
    const id = /"id":"(vmcp:[^"]+)"/.exec(res.written)?.[1];
    await streamReplica.answer(sessionId, { id, result: { roots: [{ uri: "file:///a" }] } });
    await expect(pending).resolves.toEqual({ roots: [{ uri: "file:///a" }] });
    res.destroy();
  });
});
