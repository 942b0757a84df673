/**
 * A package exports what its README documents, and nothing more: each entry point below has a
 * README section whose first list names every name the entry exports (session-core's root "API",
 * its store authors' "Storage API" and its "Defaults", session-keys' "API", and the private
 * gateway's "From code"). A name added to one side only fails here.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { documentedNames, indexExports } from "../src/public-api.js";
import { workspaceRoot } from "../src/workspace.js";

/** Each documented entry: its module, the README section listing its names, and the least count of names. */
const documented = [
  { dir: "packages/session-core", entry: "src/index.ts", heading: "API", least: 40 },
  {
    dir: "packages/session-core",
    entry: "src/storage/index.ts",
    heading: "Storage API",
    least: 20,
  },
  { dir: "packages/session-core", entry: "src/defaults.ts", heading: "Defaults", least: 5 },
  { dir: "packages/session-keys", entry: "src/index.ts", heading: "API", least: 30 },
  { dir: "apps/gateway", entry: "src/index.ts", heading: "From code", least: 15 },
];

describe.each(documented)("$dir $entry", ({ dir, entry, heading, least }) => {
  const read = (file: string) => readFileSync(join(workspaceRoot, dir, file), "utf8");

  it(`exports exactly the names of the README's "${heading}" list`, () => {
    const listed = documentedNames(read("README.md"), heading);
    expect(listed.length).toBeGreaterThanOrEqual(least);
    expect(indexExports(read(entry))).toEqual(listed);
  });

  it("the parsed list covers every name the module exports at run time", async () => {
    const module = (await import(pathToFileURL(join(workspaceRoot, dir, entry)).href)) as object;
    const parsed = new Set(indexExports(read(entry)));
    const runtime = Object.keys(module);
    expect(runtime.length).toBeGreaterThan(0);
    expect(runtime.filter((name) => !parsed.has(name))).toEqual([]);
  });
});

it("every entry point session-core's package.json exports is pinned above (besides testing)", () => {
  const manifest = JSON.parse(read("packages/session-core/package.json")) as {
    exports: Record<string, unknown>;
  };
  const pinned = documented
    .filter((item) => item.dir === "packages/session-core")
    .map((item) => item.entry.replace(/^src\//, "./dist/").replace(/\.ts$/, ".js"));
  const entries = Object.values(manifest.exports)
    .map((target) =>
      typeof target === "object" && target !== null
        ? (target as { default?: string }).default
        : undefined,
    )
    .filter((path): path is string => path !== undefined && path !== "./dist/testing.js");
  expect(entries.sort()).toEqual(pinned.sort());
});

function read(file: string): string {
  return readFileSync(join(workspaceRoot, file), "utf8");
}

describe("the readers", () => {
  it("refuse an index with other statements, and read only the first bullet list", () => {
    expect(() => indexExports('export const x = 1;\nexport { a } from "./a.js";')).toThrow(
      /more than export-from/,
    );
    expect(
      indexExports(
        '/** doc */\nexport { a, type B } from "./a.js";\nexport type { C } from "./c.js";',
      ),
    ).toEqual(["B", "a", "C"].sort());
    const readme =
      "# x\n\n## API\n\nSee `notThis`.\n\n- `a`, `b`\n  `c`\n- `a`\n\nAfter `notThat`.\n\n## Next\n- `d`\n";
    expect(documentedNames(readme, "API")).toEqual(["a", "b", "c"]);
  });
});
