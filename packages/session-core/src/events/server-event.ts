/**
 * The change events of MCP 2026-07-28's `subscriptions/listen`, as SDK v2's `ServerEventBus`
 * carries them, declared here by shape so this package never imports SDK v2: an SDK v2
 * `ServerEvent` is a {@link ServerEvent} and the other way round, and a class implementing
 * {@link ServerEventBus} is an SDK v2 `ServerEventBus` (checked by a type test in
 * `tests/integration`).
 */

/** The four kinds of change event, in the spec's order. */
export const ServerEventKinds = Object.freeze([
  "tools_list_changed",
  "prompts_list_changed",
  "resources_list_changed",
  "resource_updated",
] as const);

/** One of {@link ServerEventKinds}. */
export type ServerEventKind = (typeof ServerEventKinds)[number];

/**
 * Notification params an event forwards to the listen streams: any JSON object, optionally with
 * `_meta`. The SDK's listen router adds its own subscription ID to `_meta` (and, for
 * `resource_updated`, the event's `uri`) before it writes the notification.
 */
export interface ServerEventParams {
  /** Metadata forwarded in the notification's `params._meta`. */
  _meta?: { [key: string]: unknown } | undefined;
  [key: string]: unknown;
}

/**
 * A change event: a list of tools, prompts or resources changed, or one resource (by exact URI)
 * was updated. Events carry no audience: every listen stream whose filter matches gets it.
 */
export type ServerEvent = (
  | { kind: "tools_list_changed" }
  | { kind: "prompts_list_changed" }
  | { kind: "resources_list_changed" }
  | { kind: "resource_updated"; uri: string }
) & {
  /** Forwarded notification params (see {@link ServerEventParams}). */
  params?: ServerEventParams | undefined;
};

/** What {@link ServerEventBus.subscribe} calls with each event. It should not throw. */
export type ServerEventListener = (event: ServerEvent) => void;

/**
 * The seam SDK v2's `createMcpHandler(factory, { bus })` serves `subscriptions/listen` from:
 * each open listen stream subscribes a listener, and `handler.notify.*` publishes.
 */
export interface ServerEventBus {
  /** Publishes a change event to every registered listener (fire and forget). */
  publish(event: ServerEvent): void;
  /** Registers a listener; returns an idempotent unsubscribe function. */
  subscribe(listener: ServerEventListener): () => void;
}

const kinds: ReadonlySet<string> = new Set(ServerEventKinds);

/**
 * Reads a server event from an untrusted value (parsed JSON, or what a JavaScript caller passed):
 * a fresh {@link ServerEvent} holding only the known fields, or a sentence saying why `value` is
 * not one. `kind` must be one of {@link ServerEventKinds}; `resource_updated` needs a non-empty
 * string `uri`; `params`, when present, must be a JSON object whose `_meta`, when present, is an
 * object too. Other fields are dropped.
 */
export function readServerEvent(value: unknown): ServerEvent | string {
  if (!isObject(value)) return "the event is not an object";
  const { kind, uri, params } = value;
  if (typeof kind !== "string" || !kinds.has(kind)) {
    return `the event's kind ${describe(kind)} is not one of ${ServerEventKinds.join(", ")}`;
  }
  let checkedParams: ServerEventParams | undefined;
  if (params !== undefined) {
    if (!isObject(params)) return "the event's params are not an object";
    if (params._meta !== undefined && !isObject(params._meta)) {
      return "the event's params._meta is not an object";
    }
    checkedParams = params as ServerEventParams;
  }
  const withParams = checkedParams === undefined ? {} : { params: checkedParams };
  if (kind === "resource_updated") {
    if (typeof uri !== "string" || uri === "") {
      return "a resource_updated event needs a non-empty string uri";
    }
    return { kind, uri, ...withParams };
  }
  return { kind: kind as Exclude<ServerEventKind, "resource_updated">, ...withParams };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value.slice(0, 64)) : typeof value;
}
