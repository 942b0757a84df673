import { fileURLToPath } from "node:url";
import { registerRelayTools, relayCapabilities } from "../fixtures/relay-tools.mjs";
import { type SseBackend, startSseBackend } from "./sse-backends.js";

/** The stdio relay backend's script: `node <path> <name>`. */
export const relayStdioScript = fileURLToPath(
  new URL("../fixtures/relay-stdio-backend.mjs", import.meta.url),
);

/** A relay backend over Streamable HTTP that streams (SSE) its POST responses; `events` are its `slow` tool's. */
export type RelayBackend = SseBackend;

/**
 * Serves the relay tools (fixtures/relay-tools.mjs) over stateful Streamable HTTP with SSE
 * responses (not JSON), so request-scoped messages travel on each POST's own stream, as a real
 * backend sends them.
 */
export function startRelayBackend(name: string): Promise<RelayBackend> {
  return startSseBackend(name, { capabilities: relayCapabilities, register: registerRelayTools });
}
