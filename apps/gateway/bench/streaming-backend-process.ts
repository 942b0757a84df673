/**
 * A streaming backend in a process of its own, for `server-to-client.bench.ts`: the
 * `makeStreamingServer` of @vmcp/test-support over Streamable HTTP on a free loopback port, with
 * no pause between progress notifications. Prints its MCP URL on one line, runs until SIGTERM.
 */
import { makeStreamingServer, startMcpBackend } from "@vmcp/test-support";

const backend = await startMcpBackend("web", {
  makeServer: () => makeStreamingServer("web", () => undefined, { stepDelayMs: 0 }),
});
process.stdout.write(`${backend.url}\n`);
process.once("SIGTERM", () => {
  void backend.close().finally(() => process.exit(0));
});
