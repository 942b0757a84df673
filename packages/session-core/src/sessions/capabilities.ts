import type { ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import type { BackendInfo } from "./session-operations.js";

/** Options of {@link aggregateCapabilities}. */
export interface AggregateCapabilitiesOptions {
  /**
   * Whether the gateway delivers unsolicited notifications (`list_changed`) to the client. When
   * `false` (the default), no `listChanged` is declared, even where a backend declares it: the
   * gateway would not pass the notification on.
   */
  readonly listChanged?: boolean;
}

/**
 * The server capabilities a gateway declares for a session over `backends`: a capability is
 * declared when at least one backend declares it (`tools`, `prompts`, `resources`, `logging`,
 * `completions`, `tasks` with the union of their sub-capabilities, `resources.subscribe`), and
 * never otherwise, so a client is offered nothing no backend can serve. A backend whose
 * capabilities are unknown counts as `tools`, `prompts` and `resources` only (what the gateway
 * lists from it). `experimental` is never declared.
 */
export function aggregateCapabilities(
  backends: readonly BackendInfo[],
  options: AggregateCapabilitiesOptions = {},
): ServerCapabilities {
  const result: ServerCapabilities = {};
  const listChanged = options.listChanged ?? false;
  for (const { capabilities } of backends) {
    const c: ServerCapabilities = capabilities ?? { tools: {}, prompts: {}, resources: {} };
    if (c.tools !== undefined) {
      result.tools = { ...result.tools };
      if (listChanged && c.tools.listChanged === true) result.tools.listChanged = true;
    }
    if (c.prompts !== undefined) {
      result.prompts = { ...result.prompts };
      if (listChanged && c.prompts.listChanged === true) result.prompts.listChanged = true;
    }
    if (c.resources !== undefined) {
      result.resources = { ...result.resources };
      if (c.resources.subscribe === true) result.resources.subscribe = true;
      if (listChanged && c.resources.listChanged === true) result.resources.listChanged = true;
    }
    if (c.logging !== undefined) result.logging = {};
    if (c.completions !== undefined) result.completions = {};
    if (c.tasks !== undefined) result.tasks = union(result.tasks, c.tasks);
  }
  return result;
}

/**
 * The gateway's `instructions` for a session: `preamble`, then each backend's own instructions
 * under a `## <workloadId>` heading, in workload ID order; backends without instructions are
 * left out. Nothing of a backend's text is changed.
 */
export function combineInstructions(backends: readonly BackendInfo[], preamble: string): string {
  const parts = [preamble];
  for (const b of backends) {
    if (b.instructions !== undefined && b.instructions.trim() !== "") {
      parts.push(`## ${b.workloadId}\n${b.instructions}`);
    }
  }
  return parts.join("\n\n");
}

/** The union of two capability objects (nested objects merged, anything else: `b` wins). */
function union<T extends object>(a: T | undefined, b: T): T {
  const out: Record<string, unknown> = { ...(a ?? {}) };
  for (const [key, value] of Object.entries(b)) {
    const prior = out[key];
    out[key] =
      isObject(prior) && isObject(value)
        ? union(prior, value)
        : isObject(value)
          ? { ...value }
          : value;
  }
  return out as T;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
