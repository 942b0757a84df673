import {
  decodeJsonObject,
  encodeJsonObject,
  InvalidMetadataValueError,
  type JsonObject,
} from "@vmcp/session-keys";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("JSON object values", () => {
  it("round-trips any JSON object", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const object = value as JsonObject;
        expect(decodeJsonObject("k", encodeJsonObject("k", object))).toEqual(
          JSON.parse(JSON.stringify(object)),
        );
      }),
    );
  });

  it.each([
    ["not JSON", "{tools:", "it is not JSON"],
    ["an array", "[1,2]", "it is not a JSON object"],
    ["null", "null", "it is not a JSON object"],
    ["a string", '"caps"', "it is not a JSON object"],
    ["a number", "42", "it is not a JSON object"],
  ])("refuses %s with a typed error naming the key and the value", (_, value, reason) => {
    let caught: unknown;
    try {
      decodeJsonObject("vmcp.client.info", value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidMetadataValueError);
    expect(caught).toMatchObject({
      code: "VMCP_INVALID_METADATA_VALUE",
      name: "InvalidMetadataValueError",
      key: "vmcp.client.info",
      value,
      message: `invalid metadata value for vmcp.client.info: ${reason}`,
    });
  });

  it("refuses to encode a value JSON cannot hold, with a typed error", () => {
    const cyclic: JsonObject = {};
    cyclic.self = cyclic;
    expect(() => encodeJsonObject("vmcp.client.capabilities", cyclic)).toThrow(
      InvalidMetadataValueError,
    );
  });
});
