import { isIP } from "node:net";
import { GatewayErrorCode, HttpJsonRpcError } from "../../json-rpc/json-rpc.js";

/**
 * The Streamable HTTP transport rules the gateway enforces before a request reaches a session
 * (MCP 2025-11-25, "Transports"): what a POST must accept, and which `Host` and `Origin` may
 * reach the endpoint (the spec's DNS-rebinding protection).
 */
export interface TransportRulesOptions {
  /**
   * `Host` header names allowed to reach `/mcp` (the name without its port, case-insensitive;
   * an IPv6 address in brackets, e.g. `[::1]`). Default: when the gateway listens on a loopback
   * address, only `localhost`, `127.0.0.1` (any 127/8 address) and `[::1]`; otherwise any host.
   */
  readonly allowedHosts?: readonly string[];
  /**
   * `Origin` values allowed to reach `/mcp` (scheme, host and port as a browser sends them, e.g.
   * `https://app.example.com`; case-insensitive). A request without `Origin` (a non-browser
   * client) is always allowed. Default: when the gateway listens on a loopback address, only
   * origins whose host is a loopback name (any scheme and port); otherwise any origin.
   */
  readonly allowedOrigins?: readonly string[];
  /** The address the gateway listens on (decides the loopback-only default). */
  readonly listenHost: string;
}

/** The checks of {@link TransportRulesOptions}, resolved once. */
export class TransportRules {
  readonly #hosts: ReadonlySet<string> | "loopback" | "any";
  readonly #origins: ReadonlySet<string> | "loopback" | "any";

  constructor(options: TransportRulesOptions) {
    const loopback = isLoopbackName(options.listenHost);
    this.#hosts =
      options.allowedHosts !== undefined
        ? new Set(options.allowedHosts.map((h) => h.toLowerCase()))
        : loopback
          ? "loopback"
          : "any";
    this.#origins =
      options.allowedOrigins !== undefined
        ? new Set(options.allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, "")))
        : loopback
          ? "loopback"
          : "any";
  }

  /**
   * Checks `Host` and `Origin` of any request to `/mcp`.
   * @throws {HttpJsonRpcError} 403 (-32600) for a host or origin that is not allowed.
   */
  checkHostAndOrigin(headers: { host?: string | undefined; origin?: string | undefined }): void {
    if (this.#hosts !== "any") {
      const name = hostName(headers.host);
      const allowed =
        name !== undefined &&
        (this.#hosts === "loopback" ? isLoopbackName(name) : this.#hosts.has(name));
      if (!allowed) {
        throw new HttpJsonRpcError(
          403,
          GatewayErrorCode.InvalidRequest,
          `Host ${JSON.stringify(headers.host ?? "")} is not allowed (allowedHosts)`,
        );
      }
    }
    const origin = headers.origin;
    if (origin === undefined || this.#origins === "any") return;
    let allowed: boolean;
    if (this.#origins === "loopback") {
      const name = originHostName(origin);
      allowed = name !== undefined && isLoopbackName(name);
    } else {
      allowed = this.#origins.has(origin.toLowerCase());
    }
    if (!allowed) {
      throw new HttpJsonRpcError(
        403,
        GatewayErrorCode.InvalidRequest,
        `Origin ${JSON.stringify(origin)} is not allowed (allowedOrigins)`,
      );
    }
  }
}

/**
 * Checks a POST's `Accept` header: it must list `application/json`; the spec asks clients to list
 * `text/event-stream` too, and a client that does not is still served, in plain JSON only (a media
 * range with parameters counts, `q=0` does not).
 * @returns whether the response may be an SSE stream.
 * @throws {HttpJsonRpcError} 406 (-32600) when `application/json` is missing.
 */
export function checkPostAccept(accept: string | undefined): { readonly stream: boolean } {
  const types = acceptedTypes(accept);
  if (!types.has("application/json")) {
    throw new HttpJsonRpcError(
      406,
      GatewayErrorCode.InvalidRequest,
      "Not Acceptable: a POST must accept application/json (and text/event-stream for streamed responses)",
    );
  }
  return { stream: types.has("text/event-stream") };
}

/**
 * Refuses a GET whose `Accept` does not list `text/event-stream` (the standalone stream is SSE).
 * @throws {HttpJsonRpcError} 406 (-32600).
 */
export function checkGetAccept(accept: string | undefined): void {
  if (!acceptedTypes(accept).has("text/event-stream")) {
    throw new HttpJsonRpcError(
      406,
      GatewayErrorCode.InvalidRequest,
      "Not Acceptable: a GET must accept text/event-stream",
    );
  }
}

/**
 * Refuses an `initialize` POST that carries an `Mcp-Session-Id` header: a session is made by
 * `initialize` alone, never re-initialised in place.
 * @throws {HttpJsonRpcError} 400 (-32600).
 */
export function checkInitializeWithoutSession(sessionId: string | string[] | undefined): void {
  if (sessionId !== undefined) {
    throw new HttpJsonRpcError(
      400,
      GatewayErrorCode.InvalidRequest,
      "initialize must not carry an Mcp-Session-Id: the session already exists (send initialize without it for a new one)",
    );
  }
}

function acceptedTypes(accept: string | undefined): Set<string> {
  const types = new Set<string>();
  if (accept === undefined) return types;
  for (const range of accept.split(",")) {
    const [type, ...params] = range.split(";").map((p) => p.trim().toLowerCase());
    if (type === undefined || type === "") continue;
    const q = params.find((p) => p.startsWith("q="));
    if (q !== undefined && Number(q.slice(2)) === 0) continue;
    types.add(type);
  }
  return types;
}

/** The name of a `Host` header without its port, lower case; `[::1]` keeps its brackets. */
function hostName(host: string | undefined): string | undefined {
  if (host === undefined || host === "") return undefined;
  const lower = host.trim().toLowerCase();
  if (lower.startsWith("[")) {
    const end = lower.indexOf("]");
    return end < 0 ? undefined : lower.slice(0, end + 1);
  }
  const colon = lower.indexOf(":");
  return colon < 0 ? lower : lower.slice(0, colon);
}

function originHostName(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.hostname === "" ? undefined : url.hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Whether a host name or address is loopback: `localhost` (and `*.localhost`), any 127/8
 * address, `::1` with or without brackets.
 */
export function isLoopbackName(name: string): boolean {
  const bare = name.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (bare === "localhost" || bare.endsWith(".localhost")) return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  if (isIP(bare) === 6) return bare === "::1" || bare === "0:0:0:0:0:0:0:1";
  return false;
}
