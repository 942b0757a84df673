import { createServer } from "node:net";

/** The offset Redis Cluster adds to a node's port for its bus port. */
const ClusterBusOffset = 10_000;

/** Whether `port` can be bound on 127.0.0.1 right now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

const handedOut = new Set<number>();

/**
 * A loopback port that is free now, from 20000 to 29999 (below the OS's ephemeral range, so
 * outgoing connections do not take it), whose Cluster bus port (+10000) is free too. Never hands
 * out the same port twice in one process.
 * @throws {Error} after 200 tries without a free port.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (handedOut.has(port)) continue;
    if ((await canBind(port)) && (await canBind(port + ClusterBusOffset))) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("no free loopback port pair found for redis-server");
}
