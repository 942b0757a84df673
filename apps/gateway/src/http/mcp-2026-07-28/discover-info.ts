import type { ServerCapabilities } from "@modelcontextprotocol/server";
import { aggregateCapabilities, type BackendInfo, combineInstructions } from "@vmcp/session-core";
import { GatewayInstructions } from "../../server-info.js";
import type { ModernBackend } from "./backends/modern-backends.js";
import { declaresTasks, TasksExtensionId } from "./tasks/tasks-extension.js";

/** What `server/discover` says of the gateway over a set of modern backends. */
export interface DiscoverInfo {
  readonly capabilities: ServerCapabilities;
  readonly instructions: string;
}

/**
 * The gateway's capabilities and instructions for 2026-07-28 clients, by the same rules as the
 * 2025 `initialize` answer (session-core's `aggregateCapabilities` and `combineInstructions`: a
 * capability any backend declares, and the gateway's line followed by each backend's
 * instructions under `## <workloadId>`). `tools`/`prompts`/`resources.listChanged` and
 * `resources.subscribe` are declared when at least one backend declares them: the listen fan-in
 * (`ListenFanIn`) relays those backends' changes, and the SDK's listen router honours only what
 * is declared. No 2025-era `tasks` capability; the tasks extension
 * (`extensions["io.modelcontextprotocol/tasks"]`, and no other extension) is declared when a
 * backend declares it: the gateway routes its tasks (see `TaskRelay`).
 */
export function discoverInfo(backends: readonly ModernBackend[]): DiscoverInfo {
  const infos: BackendInfo[] = backends.map((b) => ({
    workloadId: b.workloadId,
    capabilities: b.discover.capabilities as BackendInfo["capabilities"],
    instructions: b.discover.instructions,
  }));
  const capabilities = aggregateCapabilities(infos, { listChanged: true }) as ServerCapabilities & {
    tasks?: unknown;
  };
  delete capabilities.tasks;
  if (backends.some((b) => declaresTasks(b.discover.capabilities))) {
    capabilities.extensions = { [TasksExtensionId]: {} };
  }
  return { capabilities, instructions: combineInstructions(infos, GatewayInstructions) };
}
