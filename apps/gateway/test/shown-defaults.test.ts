import { describe, expect, it } from "vitest";
import { z } from "zod";
import { shownDefault } from "../dist/config/shown-defaults.js";

const schema = z.strictObject({
  port: z.int().default(4000),
  name: z.string().optional(),
  secret: z.string().optional().meta({ appliedDefault: "a random key" }),
  tags: z.array(z.string()).default([]),
  nested: z
    .strictObject({ depth: z.int().default(3), strict: z.boolean().default(false) })
    .prefault({}),
  store: z
    .discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("memory") }),
      z
        .strictObject({
          kind: z.literal("redis"),
          url: z.string().optional(),
          prefix: z.string().optional().meta({ appliedDefault: "p:" }),
          retries: z.int().optional().meta({ appliedDefault: 3 }),
        })
        .superRefine(() => undefined),
    ])
    .default({ kind: "memory" }),
});

describe("shownDefault", () => {
  it("shows what the schema fills in for an absent field, nested and through a prefault", () => {
    expect(shownDefault(schema, "port")).toBe("4000");
    expect(shownDefault(schema, "nested.depth")).toBe("3");
    expect(shownDefault(schema, "nested.strict")).toBe("false");
    expect(shownDefault(schema, "store.kind")).toBe("memory");
  });

  it("shows a default a module applies, declared on the field's schema, in any option of a union", () => {
    expect(shownDefault(schema, "secret")).toBe("a random key");
    expect(shownDefault(schema, "store.prefix")).toBe("p:");
    expect(shownDefault(schema, "store.retries")).toBe("3");
  });

  it("shows nothing for a field without a default, an object or list default, or an unknown path", () => {
    expect(shownDefault(schema, "name")).toBeUndefined();
    expect(shownDefault(schema, "store.url")).toBeUndefined();
    expect(shownDefault(schema, "tags")).toBeUndefined();
    expect(shownDefault(schema, "nested")).toBeUndefined();
    expect(shownDefault(schema, "store")).toBeUndefined();
    expect(shownDefault(schema, "missing.field")).toBeUndefined();
  });
});
