import { fileURLToPath } from "node:url";
import { registerParkTools } from "../fixtures/park-tools.mjs";
import { type SseBackend, startSseBackend } from "./sse-backends.js";

/** The stdio parked-call backend's script: `node <path> <name>`. */
export const parkStdioScript = fileURLToPath(
  new URL("../fixtures/park-stdio-backend.mjs", import.meta.url),
);

/**
 * A 2025-era (SDK v1) backend over stateful Streamable HTTP that asks its client for input
 * mid-call; `events` are its `hold` tool's, in order (`hold:asked:<tag>`, `hold:aborted:<tag>`).
 */
export type ParkBackend = SseBackend;

/**
 * Serves the parked-call tools (fixtures/park-tools.mjs) over stateful Streamable HTTP with SSE
 * responses, so its mid-call requests travel on each POST's own stream, as a real backend sends them.
 */
export function startParkBackend(name: string): Promise<ParkBackend> {
  return startSseBackend(name, {
    capabilities: { logging: {}, tools: {} },
    register: registerParkTools,
  });
}
