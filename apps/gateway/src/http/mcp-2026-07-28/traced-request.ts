import type { ServerContext } from "@modelcontextprotocol/server";
import {
  type RpcErrorLike,
  type ServerOutcomeReader,
  traceServerRequest,
} from "../../telemetry/server-span.js";

/** The revision every request of this path speaks (`mcp.protocol.version` of its server span). */
const ServedRevision = "2026-07-28";

/** JSON-RPC -32603, for a throw that carries no JSON-RPC code (the SDK answers it so). */
const InternalError = -32603;

/**
 * How a 2026-07-28 handler's outcome reads: its value is the result itself (the SDK stamps
 * `resultType` and `serverInfo` after it), a throw is the error the SDK answers with (the
 * handler throws `ProtocolError`s, whose `code` is the JSON-RPC code).
 */
const HandlerOutcome: ServerOutcomeReader<unknown> = {
  errorOf: () => undefined,
  resultOf: (outcome) =>
    typeof outcome === "object" && outcome !== null && !Array.isArray(outcome)
      ? (outcome as Record<string, unknown>)
      : undefined,
  thrown: (error): RpcErrorLike => {
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : String(error);
    return Number.isInteger(code)
      ? { code: code as number, message }
      : { code: InternalError, message };
  },
};

/**
 * Runs one 2026-07-28 request's handler (`run`) inside the gateway's MCP server span and
 * `mcp.server.operation.duration` (`traceServerRequest`, the one implementation both eras use):
 * the method and JSON-RPC ID are the SDK's (`ctx.mcpReq`), `mcp.protocol.version` is
 * `2026-07-28`, the parent is the trace context in the request's `_meta` (`traceparent`,
 * `tracestate`, `baggage`) else in `httpRequest`'s headers, and a throw (a `ProtocolError`) marks
 * the span with its JSON-RPC code. No `mcp.session.id`: the revision has no sessions. An
 * `input_required` answer gets `vmcp.result.type` `input_required`, not an error.
 */
export function traceModernRequest<T>(
  ctx: ServerContext,
  params: unknown,
  httpRequest: Request | undefined,
  run: () => Promise<T>,
): Promise<T> {
  const { method, id, _meta } = ctx.mcpReq as {
    method: string;
    id: string | number;
    _meta?: Record<string, unknown>;
  };
  const body = typeof params === "object" && params !== null ? params : {};
  return traceServerRequest(
    {
      method,
      id,
      params: _meta === undefined ? body : { ...body, _meta },
      headers: headersOf(httpRequest),
      protocolVersion: ServedRevision,
    },
    run,
    HandlerOutcome as ServerOutcomeReader<T>,
  );
}

/** The request's headers as a plain record (lower-case names, as `fetch`'s `Headers` gives them). */
function headersOf(request: Request | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  request?.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return headers;
}
