import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findJsonSyntaxError } from "../dist/config/json-syntax-error.js";

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe("findJsonSyntaxError", () => {
  it("agrees with JSON.parse on valid JSON, however formatted", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        const text = pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
        expect(findJsonSyntaxError(text)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it("agrees with JSON.parse on JSON with a character dropped, doubled or inserted", () => {
    const noise = fc.constantFrom(
      ",",
      "}",
      "]",
      "{",
      "[",
      '"',
      ":",
      "'",
      "/",
      "\\",
      "x",
      "1",
      "-",
      ".",
      "e",
      "\n",
      " ",
      "\u0001",
    );
    fc.assert(
      fc.property(
        fc.json(),
        fc.nat(),
        fc.constantFrom("drop", "double", "insert"),
        noise,
        (text, at, edit, c) => {
          const i = at % (text.length + 1);
          const broken =
            edit === "drop"
              ? text.slice(0, i) + text.slice(i + 1)
              : edit === "double"
                ? text.slice(0, i) + text.slice(i, i + 1) + text.slice(i)
                : text.slice(0, i) + c + text.slice(i);
          expect(findJsonSyntaxError(broken) === undefined, JSON.stringify(broken)).toBe(
            parses(broken),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([
    [
      '{\n  "a": 1,\n}',
      3,
      1,
      'expected a property name in double quotes (a trailing comma?), found "}"',
    ],
    ["[1, 2,]", 1, 7, 'expected a value (a trailing comma?), found "]"'],
    ['{\n  "a": tru\n}', 2, 8, 'expected a value, found "tru"'],
    ['{"a": 1', 1, 8, 'expected "," or "}", found the end of the file'],
    ["", 1, 1, "expected a value, found the end of the file"],
    ['{"a" 1}', 1, 6, 'expected ":" after the property name, found "1"'],
    [
      "{'a': 1}",
      1,
      2,
      `expected a property name in double quotes, found "'" (JSON strings take double quotes)`,
    ],
    [
      '{\n  // note\n  "a": 1\n}',
      2,
      3,
      'expected a property name in double quotes, found "//" (JSON has no comments)',
    ],
    ['{"a": "x\ny"}', 1, 9, "a control character (such as a line break) inside a string"],
    ['{"a": "\\q"}', 1, 8, 'an unknown escape "\\q" in a string'],
    ['{"a": 01}', 1, 8, 'expected the end of the number, found "1"'],
    ['{"a": "x', 1, 7, "a string that never ends"],
    ['{"é😀": x}', 1, 8, 'expected a value, found "x"'], // code points: 😀 is one column
    ["[1] [2]", 1, 5, 'expected the end of the JSON value, found "["'],
  ])("locates %j at line %i, column %i", (text, line, column, reason) => {
    expect(parses(text)).toBe(false);
    expect(findJsonSyntaxError(text)).toEqual({ line, column, reason });
  });

  it("scans a deeply nested text without exhausting the stack", () => {
    expect(findJsonSyntaxError("[".repeat(200_000))).toEqual({
      line: 1,
      column: 200_001,
      reason: "expected a value, found the end of the file",
    });
    expect(findJsonSyntaxError(`${"[".repeat(100_000)}${"]".repeat(100_000)}`)).toBeUndefined();
  });
});
