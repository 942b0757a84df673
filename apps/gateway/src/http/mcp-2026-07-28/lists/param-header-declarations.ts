/** The schema annotation naming the header a tool argument is mirrored in (MCP 2026-07-28). */
const AnnotationKey = "x-mcp-header";

/** RFC 9110 `token` (`1*tchar`): what an `x-mcp-header` value must be. */
const HeaderToken = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Deepest `properties` chain followed, levels: a schema nested deeper declares nothing below it. */
const MaxDepth = 32;

/** One tool argument that travels in an `Mcp-Param-{Name}` header too. */
export interface ParamHeaderDeclaration {
  /** The chain of `properties` keys from the `inputSchema` root to the argument. */
  readonly path: readonly string[];
  /** The header's name as sent: `Mcp-Param-` and the annotation's value. */
  readonly header: string;
  /**
   * The property's JSON Schema `type` when it is a string (`string`, `integer` and `boolean` are
   * the permitted ones); `integer` and `number` values are compared numerically.
   */
  readonly type?: string;
}

/**
 * The `Mcp-Param-*` headers a tool's `inputSchema` declares: every property reachable from the
 * root through `properties` keys alone whose `x-mcp-header` is a non-empty RFC 9110 token. An
 * annotation anywhere else (under `items`, `anyOf`, `$defs`, `additionalProperties`...) or one
 * that is not a token makes the tool invalid for conforming clients, which drop it from their
 * lists (MCP 2026-07-28 "Custom Headers from Tool Parameters"); it declares nothing the gateway
 * checks. The walk follows at most {@link MaxDepth} levels.
 */
export function paramHeaderDeclarations(inputSchema: unknown): ParamHeaderDeclaration[] {
  const found: ParamHeaderDeclaration[] = [];
  const visit = (schema: unknown, path: readonly string[]): void => {
    if (!isObject(schema) || path.length > MaxDepth) return;
    const name = schema[AnnotationKey];
    if (path.length > 0 && typeof name === "string" && HeaderToken.test(name)) {
      const type = typeof schema.type === "string" ? schema.type : undefined;
      found.push({ path, header: `Mcp-Param-${name}`, ...(type === undefined ? {} : { type }) });
    }
    const properties = schema.properties;
    if (!isObject(properties)) return;
    for (const [key, child] of Object.entries(properties)) visit(child, [...path, key]);
  };
  visit(inputSchema, []);
  return found;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
