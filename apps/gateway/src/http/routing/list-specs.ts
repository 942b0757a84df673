import type { ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import type { ServedSession } from "./session-service.js";

/** The lists whose items are renamed by the naming rule. */
export type NamedKind = "tools" | "prompts";

/** What the router knows of one of the five lists a session aggregates. */
export interface ListSpec {
  /** The result field holding the items. */
  readonly field: string;
  /** Whether the backend offers this list. */
  readonly offers: (c: ServerCapabilities) => boolean;
  /** Tools and prompts are renamed by the naming rule. */
  readonly named?: NamedKind;
}

/** The five lists, by method. */
export const Lists: Readonly<Record<string, ListSpec>> = {
  "tools/list": { field: "tools", offers: (c) => c.tools !== undefined, named: "tools" },
  "prompts/list": { field: "prompts", offers: (c) => c.prompts !== undefined, named: "prompts" },
  "resources/list": { field: "resources", offers: (c) => c.resources !== undefined },
  "resources/templates/list": {
    field: "resourceTemplates",
    offers: (c) => c.resources !== undefined,
  },
  "tasks/list": { field: "tasks", offers: (c) => c.tasks?.list !== undefined },
};

/** The spec of `method`, one of the five lists. */
export function listSpec(
  method: "tools/list" | "prompts/list" | "resources/list" | "resources/templates/list",
): ListSpec {
  return Lists[method] as ListSpec;
}

/** The workload IDs of the session's backends that offer the list (or did not say), in order. */
export function offeringBackends(session: ServedSession, spec: ListSpec): string[] {
  return session
    .backendInfo()
    .filter((b) => b.capabilities === undefined || spec.offers(b.capabilities))
    .map((b) => b.workloadId);
}
