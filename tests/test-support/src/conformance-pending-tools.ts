import { fromJsonSchema, type McpServer } from "@modelcontextprotocol/server";

/**
 * An input schema using JSON Schema 2020-12 keywords a server must pass through unchanged:
 * `$schema`, `$defs` with an `$anchor`, `$ref`, `allOf`/`anyOf`, `if`/`then`/`else` and
 * `additionalProperties` (scenario `json-schema-2020-12`, SEP-1613 and SEP-2106).
 */
const ContactSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  $defs: {
    address: {
      $anchor: "addressDef",
      type: "object",
      properties: { street: { type: "string" }, city: { type: "string" } },
    },
  },
  properties: {
    name: { type: "string" },
    address: { $ref: "#/$defs/address" },
    contactMethod: { type: "string", enum: ["phone", "email"] },
    phone: { type: "string" },
    email: { type: "string" },
  },
  allOf: [{ anyOf: [{ required: ["phone"] }, { required: ["email"] }] }],
  if: { properties: { contactMethod: { const: "phone" } }, required: ["contactMethod"] },
  // biome-ignore lint/suspicious/noThenProperty: the if/then/else keyword of JSON Schema
  then: { required: ["phone"] },
  else: { required: ["email"] },
  additionalProperties: false,
};

/** An input schema whose `region` travels in the `Mcp-Param-Region` header too (SEP-2243). */
const RegionSchema = {
  type: "object",
  properties: { region: { type: "string", "x-mcp-header": "Region" } },
  required: ["region"],
};

/**
 * Registers the tools of two scenarios the 2026-07-28 requirements run but do not score yet
 * (pending): `json_schema_2020_12_tool` (`json-schema-2020-12`: its input schema must reach the
 * client as written) and `test_x_mcp_header` (`http-custom-header-server-validation`: a string
 * argument mirrored in `Mcp-Param-Region`, which the SDK checks against the body before the tool
 * runs: 400 `-32020` when missing, malformed or different).
 */
export function registerPendingScenarioTools(server: McpServer): void {
  server.registerTool(
    "json_schema_2020_12_tool",
    {
      description: "Tool with JSON Schema 2020-12 features",
      inputSchema: fromJsonSchema<Record<string, unknown>>(ContactSchema),
    },
    (args) => ({ content: [{ type: "text", text: `contact: ${JSON.stringify(args)}` }] }),
  );
  server.registerTool(
    "test_x_mcp_header",
    {
      description: "Echoes its region, which clients also send as the Mcp-Param-Region header.",
      inputSchema: fromJsonSchema<{ region: string }>(RegionSchema),
    },
    ({ region }) => ({ content: [{ type: "text", text: `region: ${region}` }] }),
  );
}
