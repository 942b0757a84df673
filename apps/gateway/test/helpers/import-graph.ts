import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";

/** The relative imports of every `.ts` file under a source root: file path (relative, `/`-separated) to the files it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

// `import … from "./x.js"`, `export … from "./x.js"`, `import "./x.js"` and `import("./x.js")`;
// type-only imports count too: a cycle through types still ties two files together.
const StaticImport =
  /(?:^|[;\n])\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s*)?["'](\.[^"']+)["']/g;
const DynamicImport = /\bimport\(\s*["'](\.[^"']+)["']\s*\)/g;

/** Reads every `.ts` file under `root` and the relative imports it makes (`.js` specifiers name `.ts` files). */
export async function importGraph(root: string): Promise<ImportGraph> {
  const files = (await readdir(root, { recursive: true }))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => f.split(sep).join("/"))
    .sort();
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = withoutComments(await readFile(join(root, file), "utf8"));
    const targets = new Set<string>();
    for (const pattern of [StaticImport, DynamicImport]) {
      for (const match of text.matchAll(pattern)) {
        const specifier = match[1] as string;
        const target = relative(root, resolve(root, dirname(file), specifier))
          .split(sep)
          .join("/")
          .replace(/\.js$/, ".ts");
        targets.add(target);
      }
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** The text without `//` and `/* … *\/` comments (so an import named in a comment does not count). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/** One tangle of a directed graph: nodes that all reach each other, and one cycle through them. */
export interface Tangle {
  /** Every node of the tangle (a strongly connected component), sorted. */
  readonly members: readonly string[];
  /** A shortest cycle from the first member back to it (that member repeated at the end). */
  readonly cycle: readonly string[];
}

/**
 * The tangles of a directed graph: its strongly connected components of more than one node
 * (or of a node that imports itself), each with one cycle through it to name what to untie.
 * A graph whose arrows only point down has none.
 */
export function tangles(edges: ReadonlyMap<string, ReadonlySet<string>>): Tangle[] {
  const found: Tangle[] = [];
  for (const members of stronglyConnected(edges)) {
    const first = members[0] as string;
    if (members.length === 1 && !edges.get(first)?.has(first)) continue;
    found.push({ members, cycle: pathBack(edges, first, new Set(members)) });
  }
  return found.sort((a, b) => (a.members[0] as string).localeCompare(b.members[0] as string));
}

/** One line naming a tangle: its members, then one cycle through them. */
export function describeTangle(tangle: Tangle): string {
  return `${tangle.members.join(", ")} (e.g. ${tangle.cycle.join(" -> ")})`;
}

/** A shortest cycle from `start` back to itself, inside `within`. */
function pathBack(
  edges: ReadonlyMap<string, ReadonlySet<string>>,
  start: string,
  within: ReadonlySet<string>,
): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
    for (const next of edges.get(node) ?? []) {
      if (!within.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at: string | undefined = node; at !== start && at !== undefined; ) {
          path.unshift(at);
          at = previous.get(at);
        }
        path.unshift(start);
        return path;
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** Tarjan's strongly connected components, iterative. */
function stronglyConnected(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const nodes = new Set<string>([...edges.keys(), ...[...edges.values()].flatMap((s) => [...s])]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of [...nodes].sort()) {
    if (index.has(root)) continue;
    const work: { node: string; next: string[] }[] = [];
    const enter = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, next: [...(edges.get(node) ?? [])].sort() });
    };
    enter(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: string; next: string[] };
      const next = frame.next.shift();
      if (next !== undefined) {
        if (!index.has(next)) enter(next);
        else if (onStack.has(next)) {
          low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(next) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) {
        low.set(
          parent.node,
          Math.min(low.get(parent.node) as number, low.get(frame.node) as number),
        );
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
          onStack.delete(member);
          component.push(member);
          if (member === frame.node) break;
        }
        components.push(component.sort());
      }
    }
  }
  return components;
}

/** The file-to-file edges of a graph (imports of files outside it dropped). */
export function fileEdges(graph: ImportGraph): Map<string, Set<string>> {
  return new Map(
    [...graph].map(([file, targets]) => [file, new Set(targets.filter((t) => graph.has(t)))]),
  );
}

/**
 * The edges between the children of `folder` (`""` for the root): each file below it belongs to
 * the child it sits in, a subfolder or the file itself; an import from one child to another is
 * an edge between them. Imports within one child, and files outside `folder`, do not count.
 */
export function childEdges(graph: ImportGraph, folder: string): Map<string, Set<string>> {
  const prefix = folder === "" ? "" : `${folder}/`;
  const childOf = (file: string) =>
    file.startsWith(prefix) ? (file.slice(prefix.length).split("/")[0] as string) : undefined;
  const edges = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const from = childOf(file);
    if (from === undefined) continue;
    for (const target of targets) {
      const to = childOf(target);
      if (to === undefined || to === from || !graph.has(target)) continue;
      let set = edges.get(from);
      if (set === undefined) {
        set = new Set();
        edges.set(from, set);
      }
      set.add(to);
    }
  }
  return edges;
}

/** Every folder under the root that holds files (the root itself is `""`). */
export function folders(graph: ImportGraph): string[] {
  const all = new Set<string>([""]);
  for (const file of graph.keys()) {
    const parts = file.split("/");
    for (let i = 1; i < parts.length; i++) all.add(parts.slice(0, i).join("/"));
  }
  return [...all].sort();
}
