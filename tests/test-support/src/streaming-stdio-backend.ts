/**
 * Process entry of the streaming stdio backend (path in `streamingStdioBackendScript`): one
 * `makeStreamingServer` over stdin/stdout. Flags: `--tag NAME` (default `pipe`) names the server;
 * `--events FILE` appends every `StreamingEvent` to FILE as one JSON line, so a test in another
 * process sees what the server did (its abort signal fired, a sampling answer arrived).
 */
import { appendFileSync } from "node:fs";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { makeStreamingServer } from "./streaming-server.js";

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

const eventsFile = flag("--events");
const server = makeStreamingServer(flag("--tag") ?? "pipe", (event) => {
  if (eventsFile !== undefined) appendFileSync(eventsFile, `${JSON.stringify(event)}\n`);
});
await server.connect(new StdioServerTransport());
