import { once } from "node:events";
import { createConnection, createServer, type Socket } from "node:net";

/** A `SUBSCRIBE` command as a client writes it (RESP bulk string of the command name). */
const SubscribeCommand = /\$9\r\nsubscribe\r\n/i;

/** What {@link startCuttingProxy} gives a test. */
export interface CuttingProxy {
  /** `redis://127.0.0.1:<port>` of the proxy. */
  readonly url: string;
  /** How many `SUBSCRIBE` commands the proxy cut so far. */
  readonly cut: number;
  /**
   * Cuts the next `count` `SUBSCRIBE` commands: instead of forwarding one, closes its client's
   * connection (the client has written the command and waits for its reply).
   */
  cutSubscribes(count: number): void;
  /** Closes the proxy and every connection through it. */
  close(): Promise<void>;
}

/**
 * A TCP proxy on a free loopback port in front of the Redis server on `port`, which can cut a
 * connection at the moment it sends `SUBSCRIBE`: the instant a subscriber that just reconnected
 * subscribes its channels again, which a `CLIENT KILL` loop only hits by chance.
 */
export async function startCuttingProxy(port: number): Promise<CuttingProxy> {
  const sockets = new Set<Socket>();
  let toCut = 0;
  let cut = 0;
  const server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      // A reset from either side only ends the pair.
      socket.on("error", () => undefined);
    }
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", drop);
    upstream.on("close", drop);
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    client.on("data", (chunk: Buffer) => {
      if (toCut > 0 && SubscribeCommand.test(chunk.toString("latin1"))) {
        toCut--;
        cut++;
        drop();
        return;
      }
      upstream.write(chunk);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no proxy port");
  return {
    url: `redis://127.0.0.1:${address.port}`,
    get cut() {
      return cut;
    },
    cutSubscribes(count: number) {
      toCut += count;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
