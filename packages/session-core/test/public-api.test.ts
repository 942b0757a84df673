import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../", import.meta.url);

/**
 * The names `src/index.ts` exports, types included. The index holds only
 * `export { ... } from` and `export type { ... } from` statements (checked below), so reading
 * the braces is complete.
 */
function indexExports(): string[] {
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

/** The names the README's "## API" section lists (every backticked identifier in it). */
function documentedApi(): string[] {
  const readme = readFileSync(new URL("README.md", root), "utf8");
  const section = readme.split(/^## /m).find((part) => part.startsWith("API\n")) ?? "";
  const listed = section
    .split("\n")
    .filter((line) => !line.startsWith("The key schema's errors"))
    .join("\n");
  const names = [...listed.matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((match) => match[1] ?? "");
  return [...new Set(names)].sort();
}

describe("public API", () => {
  it("exports exactly what the README's API section documents", () => {
    const exported = indexExports();
    const documented = documentedApi();
    expect(documented.length).toBeGreaterThan(40);
    expect(exported).toEqual(documented);
  });

  it("the parsed export list covers every runtime export of the package", async () => {
    const runtime = Object.keys(await import("@vmcp/session-core")).sort();
    const exported = new Set(indexExports());
    expect(runtime.filter((name) => !exported.has(name))).toEqual([]);
    expect(runtime.length).toBeGreaterThan(30);
  });
});
