import type {
  ServerCapabilities,
  ServerEvent,
  SubscriptionFilter,
} from "@modelcontextprotocol/server";

/** The JSON-RPC method of a 2026-07-28 listen request. */
export const ListenMethod = "subscriptions/listen";

/**
 * The resource URIs a `subscriptions/listen` body asks to follow (its
 * `params.notifications.resourceSubscriptions`, strings only, each once), or `undefined` when the
 * body is no listen request with a `notifications` object (the SDK answers that one -32602).
 */
export function listenedUris(body: unknown): readonly string[] | undefined {
  if (!isObject(body) || body.method !== ListenMethod) return undefined;
  const params = body.params;
  if (!isObject(params) || !isObject(params.notifications)) return undefined;
  const uris = params.notifications.resourceSubscriptions;
  if (!Array.isArray(uris)) return [];
  return [...new Set(uris.filter((u): u is string => typeof u === "string" && u !== ""))];
}

/**
 * What the gateway asks one backend to tell it: every list change the backend's capabilities
 * offer (`listChanged`), and, when it offers `resources.subscribe`, updates of `uris` (the URIs
 * this replica's listen streams follow, sorted). `undefined` when there is nothing to ask.
 */
export function backendFilter(
  capabilities: ServerCapabilities | undefined,
  uris: readonly string[],
): SubscriptionFilter | undefined {
  const filter: SubscriptionFilter = {};
  if (capabilities?.tools?.listChanged === true) filter.toolsListChanged = true;
  if (capabilities?.prompts?.listChanged === true) filter.promptsListChanged = true;
  if (capabilities?.resources?.listChanged === true) filter.resourcesListChanged = true;
  if (capabilities?.resources?.subscribe === true && uris.length > 0) {
    filter.resourceSubscriptions = [...uris].sort();
  }
  return Object.keys(filter).length === 0 ? undefined : filter;
}

/** A string equal for equal filters (the fields in a fixed order). */
export function filterKey(filter: SubscriptionFilter): string {
  return JSON.stringify([
    filter.toolsListChanged === true,
    filter.promptsListChanged === true,
    filter.resourcesListChanged === true,
    filter.resourceSubscriptions ?? [],
  ]);
}

/**
 * The events that tell listen streams to catch up after a backend's changes may have been
 * missed (its listen stream was down): a list change for each list the filter follows, and an
 * update of each resource it follows.
 */
export function catchUpEvents(filter: SubscriptionFilter): ServerEvent[] {
  const events: ServerEvent[] = [];
  if (filter.toolsListChanged === true) events.push({ kind: "tools_list_changed" });
  if (filter.promptsListChanged === true) events.push({ kind: "prompts_list_changed" });
  if (filter.resourcesListChanged === true) events.push({ kind: "resources_list_changed" });
  for (const uri of filter.resourceSubscriptions ?? []) {
    events.push({ kind: "resource_updated", uri });
  }
  return events;
}

/** The change notifications a backend's listen stream carries, and the event each becomes. */
export const ChangeNotifications = {
  "notifications/tools/list_changed": "tools_list_changed",
  "notifications/prompts/list_changed": "prompts_list_changed",
  "notifications/resources/list_changed": "resources_list_changed",
  "notifications/resources/updated": "resource_updated",
} as const;

/**
 * The gateway's event for a backend's change notification. Nothing of the backend's params is
 * forwarded but a resource's URI: its `_meta` names the backend's subscription and server, not
 * the gateway's (the SDK stamps the client's own subscription ID). `undefined` for an update
 * without a URI.
 */
export function eventOf(
  method: keyof typeof ChangeNotifications,
  params: Readonly<Record<string, unknown>> | undefined,
): ServerEvent | undefined {
  const kind = ChangeNotifications[method];
  if (kind !== "resource_updated") return { kind };
  const uri = params?.uri;
  return typeof uri === "string" && uri !== "" ? { kind, uri } : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
