/**
 * The params of a 2025-era backend's server-to-client request as a 2026-07-28 round embeds them:
 * as the backend sent them, but for `_meta.progressToken` (dropped, and `_meta` with it when
 * nothing else is left). That token names the request on the gateway's backend connection (an
 * SDK v2 server's legacy shim mints one for every request it sends); an embedded input request
 * is no JSON-RPC request of the caller's, so no progress can be reported for it, and the token
 * would only tell the caller a number of the backend connection's. Other `_meta` keys stay.
 */
export function embeddedInputParams(params: Record<string, unknown>): Record<string, unknown> {
  const meta = params._meta;
  if (meta === null || typeof meta !== "object" || !("progressToken" in meta)) return params;
  const { progressToken: _token, ...rest } = meta as Record<string, unknown>;
  const { _meta: _dropped, ...others } = params;
  return Object.keys(rest).length === 0 ? others : { ...others, _meta: rest };
}
