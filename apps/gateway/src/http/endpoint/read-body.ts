import type { IncomingMessage } from "node:http";
import { ErrorCode } from "../../error-codes.js";
import { GatewayErrorCode, HttpJsonRpcError } from "../../json-rpc/json-rpc.js";

/** Default bound on reading one request body: 30 s, in ms. */
export const DefaultBodyTimeoutMs = 30_000;

/**
 * A client that closed its connection before its request body was complete. Nothing can be
 * answered; the endpoint logs it at debug level, without a stack.
 */
export class ClientClosedError extends HttpJsonRpcError {
  /** Stable code of this refusal. */
  readonly code = ErrorCode.ClientClosed;

  constructor() {
    super(
      400,
      GatewayErrorCode.InvalidRequest,
      "the client closed the connection before the request body was complete",
    );
    this.name = "ClientClosedError";
  }
}

/**
 * Reads the request body as UTF-8.
 * - more than `maxBytes` bytes: 413 `HttpJsonRpcError` (checked against `Content-Length`
 *   first, then while streaming);
 * - not complete within `timeoutMs` ms (default {@link DefaultBodyTimeoutMs}, 30 s): 408
 *   `HttpJsonRpcError`;
 * - the client closes the connection first: {@link ClientClosedError}.
 *
 * The refusals carry `connection: close`: the rest of the body is never read.
 *
 * `inspect`, when given, sees each chunk as it arrives and may refuse the body by throwing (e.g.
 * a batch found too long while streaming). The read then rejects with that error at once, and
 * the rest of the body is discarded as it arrives, kept nowhere, so the refusal can be answered
 * at once on a connection that stays usable: closing it while the client still sends could
 * reset it before the client reads the answer. A rest that does not arrive within what is left
 * of `timeoutMs` ends the connection.
 */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
  timeoutMs: number = DefaultBodyTimeoutMs,
  inspect?: (chunk: Buffer) => void,
): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  if (req.readableEnded) return Promise.resolve("");
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const started = performance.now();
    const timer = setTimeout(() => finish(tooSlow(timeoutMs)), timeoutMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return finish(tooLarge(maxBytes));
      try {
        inspect?.(chunk);
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)), "discard rest");
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onError = () => finish(new ClientClosedError());
    const onClose = () => finish(new ClientClosedError());
    function finish(error: Error | undefined, rest: "pause" | "discard rest" = "pause"): void {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
      if (error === undefined) {
        resolve(Buffer.concat(chunks, size).toString("utf8"));
        return;
      }
      // Keep an error on the abandoned stream from becoming an unhandled `error` event.
      req.on("error", () => undefined);
      if (rest === "discard rest") discardRest(req, timeoutMs - (performance.now() - started));
      else req.pause();
      reject(error);
    }
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", onError);
    req.once("close", onClose);
  });
}

/** Reads and drops the rest of a refused body; ends the connection if it is not in by `withinMs`. */
function discardRest(req: IncomingMessage, withinMs: number): void {
  const timer = setTimeout(() => req.destroy(), Math.max(0, withinMs));
  const done = () => clearTimeout(timer);
  req.once("end", done);
  req.once("close", done);
  req.resume(); // flowing with no `data` listener: each chunk is dropped as it arrives
}

function tooLarge(maxBytes: number): HttpJsonRpcError {
  return new HttpJsonRpcError(
    413,
    GatewayErrorCode.InvalidRequest,
    `request body larger than ${maxBytes} bytes`,
    { connection: "close" },
  );
}

function tooSlow(timeoutMs: number): HttpJsonRpcError {
  return new HttpJsonRpcError(
    408,
    GatewayErrorCode.InvalidRequest,
    `request body not received within ${timeoutMs} ms`,
    { connection: "close" },
  );
}
