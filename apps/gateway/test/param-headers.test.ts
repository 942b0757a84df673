import { describe, expect, it } from "vitest";
import {
  type ParamHeaderDeclaration,
  paramHeaderDeclarations,
} from "../src/http/mcp-2026-07-28/lists/param-header-declarations.js";
import {
  checkParamHeaders,
  decodeParamHeaderValue,
  ParamHeaderMismatchError,
} from "../src/http/mcp-2026-07-28/relay/param-header-check.js";

const b64 = (text: string) => `=?base64?${Buffer.from(text, "utf8").toString("base64")}?=`;

/** The problem `checkParamHeaders` names, or `ok`. */
function verdict(
  declarations: readonly ParamHeaderDeclaration[],
  args: unknown,
  headers: Record<string, string>,
): string {
  try {
    checkParamHeaders(declarations, args, headers);
    return "ok";
  } catch (error) {
    expect(error).toBeInstanceOf(ParamHeaderMismatchError);
    const mismatch = error as ParamHeaderMismatchError;
    expect(mismatch.code).toBe("VMCP_PARAM_HEADER_MISMATCH");
    return `${mismatch.problem} ${mismatch.header}`;
  }
}

describe("x-mcp-header declarations of a tool's inputSchema", () => {
  it("collects properties reachable through properties keys alone, at any depth, with their type", () => {
    const schema = {
      type: "object",
      properties: {
        region: { type: "string", "x-mcp-header": "Region" },
        query: { type: "string" },
        target: {
          type: "object",
          properties: { shard: { type: "integer", "x-mcp-header": "Shard" } },
        },
        dryRun: { type: "boolean", "x-mcp-header": "Dry-Run" },
      },
    };
    expect(paramHeaderDeclarations(schema)).toEqual([
      { path: ["region"], header: "Mcp-Param-Region", type: "string" },
      { path: ["target", "shard"], header: "Mcp-Param-Shard", type: "integer" },
      { path: ["dryRun"], header: "Mcp-Param-Dry-Run", type: "boolean" },
    ]);
  });

  it("declares nothing for annotations off the properties chain, at the root, or that are no header token", () => {
    const annotated = { type: "string", "x-mcp-header": "Hidden" };
    const schema = {
      type: "object",
      "x-mcp-header": "Root",
      $defs: { d: annotated },
      anyOf: [{ properties: { a: annotated } }],
      additionalProperties: annotated,
      properties: {
        list: { type: "array", items: annotated },
        spaced: { type: "string", "x-mcp-header": "Bad Name" },
        empty: { type: "string", "x-mcp-header": "" },
        numeric: { type: "string", "x-mcp-header": 7 },
      },
    };
    expect(paramHeaderDeclarations(schema)).toEqual([]);
    expect(paramHeaderDeclarations(undefined)).toEqual([]);
    expect(paramHeaderDeclarations({ properties: [annotated] })).toEqual([]);
  });

  it("stops following properties past its depth bound", () => {
    let schema: Record<string, unknown> = { type: "string", "x-mcp-header": "Deep" };
    for (let i = 0; i < 40; i++) schema = { type: "object", properties: { p: schema } };
    expect(paramHeaderDeclarations(schema)).toEqual([]);
  });
});

describe("checking Mcp-Param-* headers against the arguments", () => {
  const region: ParamHeaderDeclaration = {
    path: ["region"],
    header: "Mcp-Param-Region",
    type: "string",
  };
  const shard: ParamHeaderDeclaration = {
    path: ["target", "shard"],
    header: "Mcp-Param-Shard",
    type: "integer",
  };
  const dry: ParamHeaderDeclaration = { path: ["dry"], header: "Mcp-Param-Dry", type: "boolean" };

  it("accepts headers equal to the arguments, Base64 values decoded, names case-insensitive", () => {
    expect(verdict([region], { region: "us-west1" }, { "mcp-param-region": "us-west1" })).toBe(
      "ok",
    );
    expect(
      verdict([region], { region: "Hello, 世界" }, { "mcp-param-region": b64("Hello, 世界") }),
    ).toBe("ok");
    expect(verdict([region], { region: " padded " }, { "mcp-param-region": b64(" padded ") })).toBe(
      "ok",
    );
    expect(
      verdict(
        [region],
        { region: "=?base64?literal?=" },
        { "mcp-param-region": b64("=?base64?literal?=") },
      ),
    ).toBe("ok");
    expect(verdict([dry], { dry: false }, { "mcp-param-dry": "false" })).toBe("ok");
    // Headers the tool does not declare are not looked at.
    expect(
      verdict([region], { region: "x" }, { "mcp-param-region": "x", "mcp-param-other": "y" }),
    ).toBe("ok");
  });

  it("compares integers numerically", () => {
    const args = { target: { shard: 42 } };
    expect(verdict([shard], args, { "mcp-param-shard": "42" })).toBe("ok");
    expect(verdict([shard], args, { "mcp-param-shard": "42.0" })).toBe("ok");
    expect(verdict([shard], args, { "mcp-param-shard": "43" })).toBe("mismatch Mcp-Param-Shard");
    expect(verdict([shard], args, { "mcp-param-shard": "4e1" })).toBe("mismatch Mcp-Param-Shard");
    expect(verdict([shard], { target: { shard: -7 } }, { "mcp-param-shard": "-7" })).toBe("ok");
  });

  it("refuses a missing header, a disagreeing one and a malformed one", () => {
    expect(verdict([region], { region: "us-west1" }, {})).toBe("missing Mcp-Param-Region");
    expect(verdict([region], { region: "us-west1" }, { "mcp-param-region": "eu-west1" })).toBe(
      "mismatch Mcp-Param-Region",
    );
    expect(verdict([region], { region: "us-west1" }, { "mcp-param-region": b64("eu-west1") })).toBe(
      "mismatch Mcp-Param-Region",
    );
    expect(verdict([dry], { dry: true }, { "mcp-param-dry": "True" })).toBe(
      "mismatch Mcp-Param-Dry",
    );
    // Case-sensitive values; numbers sent for a string are their text.
    expect(verdict([region], { region: "US" }, { "mcp-param-region": "us" })).toBe(
      "mismatch Mcp-Param-Region",
    );
    expect(verdict([region], { region: 5 }, { "mcp-param-region": "5" })).toBe("ok");
    expect(verdict([region], { region: "abc" }, { "mcp-param-region": "=?base64?YWJj?=x" })).toBe(
      "mismatch Mcp-Param-Region",
    );
    expect(verdict([region], { region: "ab" }, { "mcp-param-region": "=?base64?YWI?=" })).toBe(
      "malformed Mcp-Param-Region",
    );
    expect(verdict([region], { region: "r" }, { "mcp-param-region": "=?base64?!!!!?=" })).toBe(
      "malformed Mcp-Param-Region",
    );
    expect(verdict([region], { region: "r" }, { "mcp-param-region": "=?base64?/w==?=" })).toBe(
      "malformed Mcp-Param-Region",
    );
    expect(verdict([region], { region: "zürich" }, { "mcp-param-region": "zürich" })).toBe(
      "malformed Mcp-Param-Region",
    );
  });

  it("expects no header for an argument that is absent, null or no header can carry, and refuses one sent", () => {
    for (const args of [{}, { region: null }, { region: { nested: 1 } }, undefined]) {
      expect(verdict([region], args, {})).toBe("ok");
      expect(verdict([region], args, { "mcp-param-region": "us-west1" })).toBe(
        "unexpected Mcp-Param-Region",
      );
    }
    const unsafe = { target: { shard: 2 ** 60 } };
    expect(verdict([shard], unsafe, {})).toBe("ok");
    expect(verdict([shard], { target: "flat" }, {})).toBe("ok");
  });

  it("checks every declaration, the first failing one named", () => {
    const both = [region, dry];
    expect(
      verdict(
        both,
        { region: "a", dry: true },
        { "mcp-param-region": "a", "mcp-param-dry": "true" },
      ),
    ).toBe("ok");
    expect(verdict(both, { region: "a", dry: true }, { "mcp-param-region": "a" })).toBe(
      "missing Mcp-Param-Dry",
    );
  });

  it("decodes only the exact lower-case sentinel; a value with characters a header may not hold is refused", () => {
    expect(decodeParamHeaderValue("=?BASE64?YWJj?=")).toBe("=?BASE64?YWJj?=");
    expect(decodeParamHeaderValue("=?base64?YWJj?=")).toBe("abc");
    expect(decodeParamHeaderValue("=?base64??=")).toBe("");
    expect(decodeParamHeaderValue("a\tb c")).toBe("a\tb c");
    expect(decodeParamHeaderValue("caf\u00e9")).toBeUndefined();
    expect(decodeParamHeaderValue("a\u0001b")).toBeUndefined();
  });
});
