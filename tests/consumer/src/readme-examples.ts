import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { publishablePackages, workspaceRoot } from "./workspace.js";

/**
 * One ```ts code block of a package README. Convention: a block fenced ```ts (or ```typescript)
 * is type-checked and run; ```ts no-run is type-checked only. Other languages are not examples.
 */
export interface ReadmeExample {
  /** The README, relative to the workspace root, e.g. `packages/store-redis/README.md`. */
  readonly readme: string;
  /** The line of the opening fence (1-based); the code starts on the next line. */
  readonly fenceLine: number;
  /** Whether the block is run (`ts`) or only type-checked (`ts no-run`). */
  readonly run: boolean;
  /** The code. */
  readonly code: string;
  /** The module file name the block becomes in the consumer project, under src/readme/. */
  readonly fileName: string;
}

const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)\s*(.*)$/;

/**
 * Every TypeScript block of one Markdown text, in order.
 * @throws {Error} on an unknown flag after ```ts (only `no-run` is known) or an unclosed fence.
 */
export function extractTsBlocks(markdown: string, readme: string, prefix: string): ReadmeExample[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: ReadmeExample[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = fence.exec(lines[index] ?? "");
    if (open === null) continue;
    const [, indent = "", marks = "", language = "", flags = ""] = open;
    const body: string[] = [];
    let closed = false;
    const start = index;
    for (index++; index < lines.length; index++) {
      const line = lines[index] ?? "";
      if (line.trim().startsWith(marks) && line.trim().replace(/[`~]/g, "") === "") {
        closed = true;
        break;
      }
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line);
    }
    if (!closed) throw new Error(`${readme}:${start + 1}: code fence never closed`);
    if (language !== "ts" && language !== "typescript") continue;
    const flag = flags.trim();
    if (flag !== "" && flag !== "no-run") {
      throw new Error(
        `${readme}:${start + 1}: unknown flag "${flag}" (use \`\`\`ts or \`\`\`ts no-run)`,
      );
    }
    blocks.push({
      readme,
      fenceLine: start + 1,
      run: flag === "",
      code: `${body.join("\n")}\n`,
      fileName: `${prefix}.README.L${start + 1}.ts`,
    });
  }
  return blocks;
}

/** Every TypeScript block of every publishable package's README.md. */
export function readmeExamples(): ReadmeExample[] {
  return publishablePackages().flatMap((pkg) => {
    const path = join(pkg.dir, "README.md");
    return extractTsBlocks(readFileSync(path, "utf8"), relative(workspaceRoot, path), pkg.folder);
  });
}

/**
 * The npm package names a block imports, other than node builtins and relative paths (e.g.
 * `ioredis`, `@vmcp/store-redis`).
 */
export function importedPackages(code: string): string[] {
  const names = new Set<string>();
  const patterns = [
    /\bfrom\s+["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\bimport\s+["']([^"']+)["']/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) {
      const specifier = match[1] ?? "";
      if (specifier.startsWith(".") || specifier.startsWith("node:")) continue;
      const parts = specifier.split("/");
      if (builtinModules.includes(parts[0] ?? "")) continue;
      names.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier));
    }
  }
  return [...names].sort();
}
