/**
 * What the gateway says of itself in either protocol era: its name and version (`serverInfo` at
 * `initialize`, `server/discover`, and the client info it gives backends) and its own line of the
 * `instructions`, before each backend's own.
 */

/** The gateway's name and version, as sent in `serverInfo`. */
export const GatewayServerInfo = { name: "vmcp-gateway", version: "0.1.0" } as const;

/** The gateway's own line of the `instructions` it returns, before each backend's own. */
export const GatewayInstructions =
  "A virtual MCP server: the tools, resources and prompts of several backends in one session.";
