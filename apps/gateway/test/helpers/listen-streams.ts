import type { Client, McpSubscription } from "@modelcontextprotocol/client";
import type { SubscriptionFilter } from "@modelcontextprotocol/server";
import { waitUntil } from "@vmcp/test-support";
import { connectModernClient, ModernRevision } from "./modern-client.js";

/** One change notification a listen stream delivered. */
export interface HeardChange {
  /** `notifications/tools/list_changed`, ..., `notifications/resources/updated`. */
  readonly method: string;
  /** The resource's URI, for an update. */
  readonly uri?: string;
  /** The subscription ID the gateway stamped on it. */
  readonly subscriptionId: unknown;
  /** When it arrived, `performance.now()` ms. */
  readonly at: number;
}

/** A `subscriptions/listen` stream of its own SDK v2 client (pinned to 2026-07-28). */
export interface ListenStream {
  readonly client: Client;
  readonly subscription: McpSubscription;
  /** Every change heard, in arrival order. */
  readonly heard: HeardChange[];
  /** The changes heard with `method` (and `uri`, when given). */
  of(method: string, uri?: string): HeardChange[];
  /** Resolves once `count` changes with `method` (and `uri`) were heard. */
  waitFor(method: string, count: number, uri?: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const Methods = [
  "notifications/tools/list_changed",
  "notifications/prompts/list_changed",
  "notifications/resources/list_changed",
  "notifications/resources/updated",
] as const;

/**
 * Opens a listen stream on `${baseUrl}/mcp` with `filter` (as the caller `token` bears, when
 * given); resolves once it is acknowledged.
 */
export async function openListenStream(
  baseUrl: string,
  filter: SubscriptionFilter,
  token?: string,
): Promise<ListenStream> {
  const client = await connectModernClient(baseUrl, {
    name: "listen-e2e",
    ...(token === undefined ? {} : { token }),
  });
  const heard: HeardChange[] = [];
  for (const method of Methods) {
    client.setNotificationHandler(method, (notification) => {
      const params = (notification.params ?? {}) as Record<string, unknown>;
      const meta = (params._meta ?? {}) as Record<string, unknown>;
      heard.push({
        method,
        ...(typeof params.uri === "string" ? { uri: params.uri } : {}),
        subscriptionId: meta["io.modelcontextprotocol/subscriptionId"],
        at: performance.now(),
      });
    });
  }
  const subscription = await client.listen(filter);
  const of = (method: string, uri?: string) =>
    heard.filter((h) => h.method === method && (uri === undefined || h.uri === uri));
  return {
    client,
    subscription,
    heard,
    of,
    waitFor: async (method, count, uri, timeoutMs = 10_000) => {
      await waitUntil(
        () => of(method, uri).length >= count,
        timeoutMs,
        `${count} ${method}${uri === undefined ? "" : ` ${uri}`}`,
        5,
      );
    },
    close: async () => {
      await subscription.close().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
}

/** The `subscriptions/listen` request body of a raw POST (see `modernPost`). */
export function listenRequest(id: number, filter: SubscriptionFilter) {
  return {
    id,
    method: "subscriptions/listen",
    params: {
      notifications: filter,
      _meta: {
        "io.modelcontextprotocol/protocolVersion": ModernRevision,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
      },
    },
  };
}
