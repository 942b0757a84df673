/**
 * Reads a package's public API two ways, so a test can hold them equal: the names its
 * `src/index.ts` exports, and the names its README documents.
 */

/**
 * The names an index module exports, types included. It must hold only `export { ... } from`
 * and `export type { ... } from` statements (and comments): anything else throws, so the list is
 * never silently incomplete.
 * @throws {Error} when the module holds any other statement.
 */
export function indexExports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const statements = code.match(/export\s+(type\s+)?\{[^}]*\}\s*from\s*"[^"]+";/g) ?? [];
  const rest = statements.reduce((left, statement) => left.replace(statement, ""), code).trim();
  if (rest !== "") throw new Error(`the index holds more than export-from statements: ${rest}`);
  return statements
    .flatMap((statement) => (statement.match(/\{([^}]*)\}/)?.[1] ?? "").split(","))
    .map((entry) => entry.trim().replace(/^type\s+/, ""))
    .filter((name) => name !== "")
    .sort();
}

/**
 * The backticked identifiers of the first bullet list in the README section `## <heading>`
 * (from its first `- ` line to the blank line that ends the list), sorted and without repeats.
 */
export function documentedNames(readme: string, heading: string): string[] {
  const section = readme.split(/^## /m).find((part) => part.startsWith(`${heading}\n`)) ?? "";
  const start = section.indexOf("\n- ");
  if (start < 0) return [];
  const list = section.slice(start).split("\n\n")[0] ?? "";
  const names = [...list.matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((match) => match[1] ?? "");
  return [...new Set(names)].sort();
}
