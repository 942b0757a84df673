/**
 * Loads the MCP SDK on first use, so that importing `@vmcp/session-core` (for example by a store
 * that only needs the storage contract) never loads it.
 */

/** The SDK client modules the default connector uses. */
export interface McpSdkClientModules {
  readonly client: typeof import("@modelcontextprotocol/sdk/client/index.js");
  readonly http: typeof import("@modelcontextprotocol/sdk/client/streamableHttp.js");
  readonly types: typeof import("@modelcontextprotocol/sdk/types.js");
  readonly ajv: typeof import("@modelcontextprotocol/sdk/validation/ajv");
}

let core: Promise<McpSdkClientModules> | undefined;
let stdio: Promise<typeof import("@modelcontextprotocol/sdk/client/stdio.js")> | undefined;

/** The SDK's client, Streamable HTTP transport and types modules, imported once. */
export function loadSdkClient(): Promise<McpSdkClientModules> {
  core ??= Promise.all([
    import("@modelcontextprotocol/sdk/client/index.js"),
    import("@modelcontextprotocol/sdk/client/streamableHttp.js"),
    import("@modelcontextprotocol/sdk/types.js"),
    import("@modelcontextprotocol/sdk/validation/ajv"),
  ]).then(([client, http, types, ajv]) => ({ client, http, types, ajv }));
  return core;
}

/** The SDK's stdio client transport module, imported once (it pulls in process spawning). */
export function loadSdkStdio(): Promise<
  typeof import("@modelcontextprotocol/sdk/client/stdio.js")
> {
  stdio ??= import("@modelcontextprotocol/sdk/client/stdio.js");
  return stdio;
}
