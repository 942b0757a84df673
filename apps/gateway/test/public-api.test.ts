import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../", import.meta.url);

/** Backticked identifiers in the bullet list of the README's "## From code" section. */
function documented(): string[] {
  const readme = readFileSync(new URL("README.md", root), "utf8");
  const section = readme.split(/^## /m).find((part) => part.startsWith("From code\n")) ?? "";
  // The bullet list: lines from the first "- " up to the blank line that ends it.
  const list = section.slice(section.indexOf("\n- ")).split("\n\n")[0] ?? "";
  return [...list.matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((match) => match[1] ?? "").sort();
}

/** The names of `src/index.ts`'s `export { ... } from` statements, types included. */
function exported(): string[] {
  const source = readFileSync(new URL("src/index.ts", root), "utf8").replace(
    /\/\*[\s\S]*?\*\//g,
    "",
  );
  const statements = source.match(/export\s+(type\s+)?\{[^}]*\}\s*from\s*"[^"]+";/g) ?? [];
  const rest = statements.reduce((left, statement) => left.replace(statement, ""), source);
  expect(rest.trim(), "src/index.ts holds only export-from statements").toBe("");
  return statements
    .flatMap((statement) => (statement.match(/\{([^}]*)\}/)?.[1] ?? "").split(","))
    .map((entry) => entry.trim().replace(/^type\s+/, ""))
    .filter((name) => name !== "")
    .sort();
}

describe("the gateway's code API", () => {
  it("src/index.ts exports exactly what the README's From code section lists", async () => {
    expect(documented().length).toBeGreaterThan(15);
    expect(exported()).toEqual(documented());
    const runtime = Object.keys(await import("../src/index.js"));
    expect(runtime.filter((name) => !exported().includes(name))).toEqual([]);
  });
});
