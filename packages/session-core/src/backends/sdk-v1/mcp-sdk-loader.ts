/**
 * Loads the MCP SDK on first use, so that importing `@vmcp/session-core` (for example by a store
 * that only needs the storage contract) never loads it. The SDK is an optional peer dependency:
 * when it is not installed, the first connect fails with `McpSdkMissingError` naming the package.
 */
import { McpSdkMissingError } from "../errors.js";

const sdkPackage = "@modelcontextprotocol/sdk";

/**
 * `McpSdkMissingError` when `error` says the SDK package itself cannot be found; any other error
 * (a broken install of one of the SDK's own dependencies, say) as it is.
 */
export function sdkImportError(error: unknown): unknown {
  const code =
    typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
  const message = error instanceof Error ? error.message : "";
  const missing =
    (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
    (message.includes(`'${sdkPackage}'`) || message.includes(`"${sdkPackage}"`));
  return missing ? new McpSdkMissingError({ cause: error }) : error;
}

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
  ]).then(
    ([client, http, types, ajv]) => ({ client, http, types, ajv }),
    (error: unknown) => {
      core = undefined;
      throw sdkImportError(error);
    },
  );
  return core;
}

/** The SDK's stdio client transport module, imported once (it pulls in process spawning). */
export function loadSdkStdio(): Promise<
  typeof import("@modelcontextprotocol/sdk/client/stdio.js")
> {
  stdio ??= import("@modelcontextprotocol/sdk/client/stdio.js").catch((error: unknown) => {
    stdio = undefined;
    throw sdkImportError(error);
  });
  return stdio;
}
