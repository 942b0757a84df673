import type { DiscoverResult } from "@modelcontextprotocol/client";

/** The lists a 2026-07-28 client may ask the gateway for. */
export type ListMethod =
  | "tools/list"
  | "prompts/list"
  | "resources/list"
  | "resources/templates/list";

/** The lists whose items are renamed by the naming rule. */
export type NamedKind = "tools" | "prompts";

/** What the gateway knows of one list. */
export interface ListKind {
  readonly method: ListMethod;
  /** The result field holding the items. */
  readonly field: string;
  /** Whether a backend with these capabilities offers the list. */
  readonly offers: (capabilities: DiscoverResult["capabilities"]) => boolean;
  /** Tools and prompts are exposed under the naming rule. */
  readonly named?: NamedKind;
}

/** The four lists, by method. */
export const ListKinds: Readonly<Record<ListMethod, ListKind>> = {
  "tools/list": {
    method: "tools/list",
    field: "tools",
    offers: (c) => c.tools !== undefined,
    named: "tools",
  },
  "prompts/list": {
    method: "prompts/list",
    field: "prompts",
    offers: (c) => c.prompts !== undefined,
    named: "prompts",
  },
  "resources/list": {
    method: "resources/list",
    field: "resources",
    offers: (c) => c.resources !== undefined,
  },
  "resources/templates/list": {
    method: "resources/templates/list",
    field: "resourceTemplates",
    offers: (c) => c.resources !== undefined,
  },
};
