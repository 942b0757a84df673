import type { JsonRpcErrorBody } from "../../../json-rpc/json-rpc.js";

/**
 * The gateway's messages on the session message bus (JSON, opaque to the bus):
 * - `answer`: a client's answer to a server-to-client request, for the replica holding its waiter,
 *   which replies `answer-ack` with the same `ack` nonce;
 * - `cancel`: a client's `notifications/cancelled` for a request another replica may hold;
 * - `notify`: a message for the session's `GET /mcp` stream, wherever it is open;
 * - `deliver`: a server-to-client request for that stream, which its holder acknowledges with
 *   `answer-ack` once written (no acknowledgement: no stream anywhere);
 * - `stream-open`: a replica opened the session's GET stream (an older one elsewhere ends);
 * - `terminated`: the session was deleted (GET streams end).
 */
export type BusEnvelope =
  | {
      readonly kind: "answer";
      readonly id: string | number;
      readonly result?: unknown;
      readonly error?: JsonRpcErrorBody;
      readonly ack: string;
    }
  | { readonly kind: "answer-ack"; readonly ack: string }
  | { readonly kind: "cancel"; readonly requestId: string | number; readonly reason?: string }
  | { readonly kind: "notify"; readonly message: { method: string; params?: unknown } }
  | { readonly kind: "deliver"; readonly message: Record<string, unknown>; readonly ack: string }
  | { readonly kind: "stream-open"; readonly holder: string }
  | { readonly kind: "terminated" };

const kinds = new Set([
  "answer",
  "answer-ack",
  "cancel",
  "notify",
  "deliver",
  "stream-open",
  "terminated",
]);

/** Parses a bus message; `undefined` for anything that is not one of the gateway's envelopes. */
export function parseEnvelope(text: string): BusEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const kind = (value as { kind?: unknown }).kind;
  return typeof kind === "string" && kinds.has(kind) ? (value as BusEnvelope) : undefined;
}
