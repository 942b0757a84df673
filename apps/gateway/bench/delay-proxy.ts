import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/** A loopback TCP proxy that makes its target look a fixed one-way delay away. */
export interface DelayProxy {
  /** The target's URL seen through the proxy: `http://127.0.0.1:<proxy port>` and its path. */
  readonly url: string;
  /** Connections accepted so far (each a new TCP connection to the target). */
  readonly connections: number;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/** What one direction forwards: data, the sender's end, or its close (the last thing). */
type Forwarded = Buffer | "end" | "close";

/** Destroys `socket`, once what was written before its end (if it was ended) has gone out. */
function closeAfterFlush(socket: Socket): void {
  if (socket.writableEnded && !socket.writableFinished)
    socket.once("finish", () => socket.destroy());
  else socket.destroy();
}

/**
 * One direction of a connection: each chunk read from `from` is written to `to` `delayMs` after
 * it arrived (in order), but not before `openAt + delayMs` (the connection is not open before
 * then); `from`'s end, then its close, are forwarded the same way, after its last chunk.
 */
function delayDirection(from: Socket, to: Socket, delayMs: number, openAt: number): void {
  const queue: { at: number; what: Forwarded }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const drain = () => {
    timer = undefined;
    const now = performance.now();
    for (let next = queue[0]; next !== undefined && next.at <= now; next = queue[0]) {
      queue.shift();
      if (to.destroyed) return;
      if (next.what === "end") to.end();
      else if (next.what === "close") closeAfterFlush(to);
      else to.write(next.what);
    }
    schedule();
  };
  const schedule = () => {
    const next = queue[0];
    if (timer === undefined && next !== undefined) {
      timer = setTimeout(drain, Math.max(0, next.at - performance.now()));
    }
  };
  const push = (what: Forwarded) => {
    // A fixed delay on a monotonic clock keeps the order; the floor holds data until open.
    queue.push({ at: Math.max(performance.now(), openAt) + delayMs, what });
    schedule();
  };
  from.on("data", (chunk: Buffer) => push(chunk));
  from.on("end", () => push("end"));
  from.on("close", () => push("close"));
  to.on("close", () => {
    if (timer !== undefined) clearTimeout(timer);
    queue.length = 0;
  });
}

/**
 * Starts a TCP proxy on a free loopback port in front of `target` (a URL such as
 * `http://127.0.0.1:4001/mcp`; its path is kept in {@link DelayProxy.url}) that delays every
 * byte `delayMs` milliseconds each way (default 5: a backend in another zone, 10 ms round trip),
 * chunk by chunk in order, so each HTTP request and each response, or each SSE event, arrives
 * that much later. A new connection also costs a TCP handshake's round trip: nothing the client
 * sends is forwarded before `2 × delayMs` after it was accepted (then the one-way delay
 * applies). Ends are forwarded after the data before them, and so is a close (a socket error
 * closes both sides at once). Bodies are not read: it is HTTP-agnostic and parses nothing.
 */
export async function startDelayProxy(target: string, delayMs = 5): Promise<DelayProxy> {
  const { hostname, port, pathname, search } = new URL(target);
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    connections++;
    const openAt = performance.now() + 2 * delayMs;
    const upstream = tcpConnect({ host: hostname, port: Number(port), allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    delayDirection(client, upstream, delayMs, openAt);
    delayDirection(upstream, client, delayMs, openAt);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("delay proxy: no port");
  return {
    url: `http://127.0.0.1:${address.port}${pathname}${search}`,
    get connections() {
      return connections;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
