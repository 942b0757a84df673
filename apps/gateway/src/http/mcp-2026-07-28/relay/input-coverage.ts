import {
  type ClientCapabilities,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
} from "@modelcontextprotocol/server";

/**
 * Checks that the caller declared (in its request's `_meta` client capabilities) what every
 * entry of a backend's `input_required` answer asks of it, as the SDK's registered handlers do
 * for a server's own answers (the gateway relays `tools/call` through the SDK's fallback
 * handler, which skips that check):
 * - `elicitation/create` in form mode: `elicitation.form`, or a bare `elicitation: {}`;
 *   in URL mode: `elicitation.url`;
 * - `sampling/createMessage`: `sampling`;
 * - `roots/list`: `roots`.
 * @throws {MissingRequiredClientCapabilityError} naming only what is missing (answered 400
 *   -32021 by the SDK).
 * @throws {ProtocolError} -32603 for an entry that is no request of those three (the backend's
 *   fault).
 */
export function assertInputRequestsCovered(
  inputRequests: unknown,
  declared: ClientCapabilities | undefined,
): void {
  if (typeof inputRequests !== "object" || inputRequests === null) return;
  const missing: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(inputRequests)) {
    const method = (entry as { method?: unknown } | null)?.method;
    const params = (entry as { params?: { mode?: unknown } } | null)?.params;
    if (method === "elicitation/create") {
      const elicitation = declared?.elicitation as { form?: unknown; url?: unknown } | undefined;
      if (params?.mode === "url") {
        if (elicitation?.url === undefined) missing.elicitation = { url: {} };
      } else {
        const bare = elicitation !== undefined && elicitation.url === undefined;
        if (elicitation?.form === undefined && !bare) missing.elicitation = { form: {} };
      }
    } else if (method === "sampling/createMessage") {
      if (declared?.sampling === undefined) missing.sampling = {};
    } else if (method === "roots/list") {
      if (declared?.roots === undefined) missing.roots = {};
    } else {
      throw new ProtocolError(
        ProtocolErrorCode.InternalError,
        `a backend asked for input ${JSON.stringify(key)} of a kind 2026-07-28 does not define`,
      );
    }
  }
  if (Object.keys(missing).length > 0) {
    throw new MissingRequiredClientCapabilityError({
      requiredCapabilities: missing as ClientCapabilities,
    });
  }
}
