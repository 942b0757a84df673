import { LOG_LEVEL_META_KEY, PROTOCOL_VERSION_META_KEY } from "@modelcontextprotocol/server";

/** What the modern handler context holds about the caller's request `_meta`. */
export interface CallerMeta {
  /** The request's `_meta` without the reserved envelope keys (progress token, trace context...). */
  readonly _meta?: Readonly<Record<string, unknown>> | undefined;
  /** The reserved `io.modelcontextprotocol/*` envelope keys the request carried. */
  readonly envelope?: Readonly<Record<string, unknown>> | undefined;
}

/** The `_meta` of a relayed backend request, and what the relay must do with its notifications. */
export interface MirroredMeta {
  /**
   * The caller's `_meta` as the backend gets it: every key the caller sent (client capabilities,
   * client info, log level, `traceparent`...) except the protocol version, which the gateway's own
   * backend client sets for the revision it speaks with that backend, and the progress token,
   * which the backend client replaces with its own (progress is mapped back to the caller's).
   */
  readonly meta: Record<string, unknown>;
  /** The caller's progress token; absent when it asked for no progress. */
  readonly progressToken?: string | number;
  /** Whether the caller set `io.modelcontextprotocol/logLevel`, so the backend's log messages reach it. */
  readonly logs: boolean;
}

/** The mirrored `_meta` of the caller's request (see {@link MirroredMeta}). */
export function mirrorMeta(caller: CallerMeta): MirroredMeta {
  const { progressToken, ...rest } = caller._meta ?? {};
  const meta: Record<string, unknown> = { ...rest };
  for (const [key, value] of Object.entries(caller.envelope ?? {})) {
    if (key !== PROTOCOL_VERSION_META_KEY && value !== undefined) meta[key] = value;
  }
  const token =
    typeof progressToken === "string" || typeof progressToken === "number"
      ? progressToken
      : undefined;
  return {
    meta,
    ...(token === undefined ? {} : { progressToken: token }),
    logs: typeof caller.envelope?.[LOG_LEVEL_META_KEY] === "string",
  };
}
