/**
 * A package exports what its README documents, and nothing more: session-core's "API" section
 * and the (private) gateway's "From code" section list every name their `src/index.ts` exports.
 * A name added to one side only fails here.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { documentedNames, indexExports } from "../src/public-api.js";
import { workspaceRoot } from "../src/workspace.js";

const documented = [
  { dir: "packages/session-core", heading: "API" },
  { dir: "apps/gateway", heading: "From code" },
];

describe.each(documented)("$dir", ({ dir, heading }) => {
  const read = (file: string) => readFileSync(join(workspaceRoot, dir, file), "utf8");

  it(`src/index.ts exports exactly the names of the README's "${heading}" list`, () => {
    const listed = documentedNames(read("README.md"), heading);
    expect(listed.length).toBeGreaterThan(15);
    expect(indexExports(read("src/index.ts"))).toEqual(listed);
  });

  it("the parsed list covers every name the module exports at run time", async () => {
    const module = (await import(
      pathToFileURL(join(workspaceRoot, dir, "src", "index.ts")).href
    )) as object;
    const parsed = new Set(indexExports(read("src/index.ts")));
    const runtime = Object.keys(module);
    expect(runtime.length).toBeGreaterThan(10);
    expect(runtime.filter((name) => !parsed.has(name))).toEqual([]);
  });
});

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
