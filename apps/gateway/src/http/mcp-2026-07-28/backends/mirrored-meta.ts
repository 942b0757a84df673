import { LOG_LEVEL_META_KEY, PROTOCOL_VERSION_META_KEY } from "@modelcontextprotocol/server";
import type { MirroredMeta } from "../../stateless-backends/stateless-call.js";

export type { MirroredMeta } from "../../stateless-backends/stateless-call.js";

/** What the modern handler context holds about the caller's request `_meta`. */
export interface CallerMeta {
  /** The request's `_meta` without the reserved envelope keys (progress token, trace context...). */
  readonly _meta?: Readonly<Record<string, unknown>> | undefined;
  /** The reserved `io.modelcontextprotocol/*` envelope keys the request carried. */
  readonly envelope?: Readonly<Record<string, unknown>> | undefined;
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
