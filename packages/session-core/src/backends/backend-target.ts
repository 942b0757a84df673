/**
 * How to reach one backend MCP server.
 * - `streamable-http`: the backend's MCP endpoint URL, plus extra HTTP headers sent on every request.
 * - `stdio`: a command the gateway spawns; each connection is its own process, so a stdio backend
 *   runs without a resumable session (its session ID is always `""`).
 */
export type BackendTransportConfig =
  | {
      readonly kind: "streamable-http";
      /** The backend's MCP endpoint, `http:` or `https:`. */
      readonly url: string;
      /** Extra headers sent with every request (for example an API key). Default none. */
      readonly headers?: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: "stdio";
      /** The executable to spawn. */
      readonly command: string;
      /** Its arguments. Default none. */
      readonly args?: readonly string[];
      /** Its environment. Default: the SDK's safe default environment (PATH, HOME, ...). */
      readonly env?: Readonly<Record<string, string>>;
      /** Its working directory. Default: the gateway's. */
      readonly cwd?: string;
    };

/**
 * One configured backend. `workloadId` names it in the session metadata
 * (`vmcp.backend.session.<workloadId>`) and must pass `assertValidWorkloadId` from
 * `@vmcp/session-keys` (the factory checks at construction).
 */
export interface BackendTarget {
  /** The backend's workload ID: non-empty, no comma, whitespace or control character. */
  readonly workloadId: string;
  /** How to reach it. */
  readonly transport: BackendTransportConfig;
}
