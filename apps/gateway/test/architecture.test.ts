/**
 * The gateway's rooms stay untangled: no source file imports itself back through others, and
 * within any folder of `src/` (the top folders, the rooms of `http/`, the pieces of a room) no
 * child imports another that imports it back. A file directly in a folder counts as its own
 * child. Relative imports only (the packages have their own direction, see CONTRIBUTING.md's
 * "Architecture"), type-only imports included.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  childEdges,
  describeTangle,
  fileEdges,
  folders,
  type ImportGraph,
  importGraph,
  tangles,
} from "./helpers/import-graph.js";

const src = fileURLToPath(new URL("../src", import.meta.url));
const graph = await importGraph(src);

function edgesOf(entries: Record<string, string[]>): Map<string, Set<string>> {
  return new Map(Object.entries(entries).map(([k, v]) => [k, new Set(v)]));
}

describe("the import graph of src/", () => {
  it("reads the relative imports of every file, dynamic ones included", () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get("cli.ts")).toContain("config/load-config.ts");
    // createStorage loads the Redis factory only when configured.
    expect(graph.get("store/create-storage.ts")).toContain("store/create-redis-storage.ts");
    for (const [file, targets] of graph) {
      for (const target of targets)
        expect(graph.has(target), `${file} imports ${target}`).toBe(true);
    }
  });

  it("has no cycle between files", () => {
    expect(tangles(fileEdges(graph)).map(describeTangle)).toEqual([]);
  });

  it("has no cycle between the children of any folder", () => {
    const found = folders(graph).flatMap((folder) =>
      tangles(childEdges(graph, folder)).map((t) => `${folder || "src"}: ${describeTangle(t)}`),
    );
    expect(found).toEqual([]);
  });
});

describe("the tangle finder", () => {
  const cyclesOf = (entries: Record<string, string[]>) =>
    tangles(edgesOf(entries)).map((t) => t.cycle);

  it("names each tangle with one cycle, and none in a graph whose arrows only point down", () => {
    expect(cyclesOf({ a: ["b"], b: ["c"], c: [] })).toEqual([]);
    expect(cyclesOf({ a: ["b"], b: ["a"], c: ["a"] })).toEqual([["a", "b", "a"]]);
    expect(cyclesOf({ a: ["a"] })).toEqual([["a", "a"]]);
    expect(cyclesOf({ a: ["b"], b: ["c"], c: ["a"], d: ["e"], e: ["d"] })).toEqual([
      ["a", "b", "c", "a"],
      ["d", "e", "d"],
    ]);
    const [tangle] = tangles(edgesOf({ a: ["b", "c"], b: ["a"], c: ["a"] }));
    expect(tangle?.members).toEqual(["a", "b", "c"]);
    expect(describeTangle(tangle as never)).toBe("a, b, c (e.g. a -> b -> a)");
  });

  it("sees a folder loop that no two files make alone", () => {
    const loop: ImportGraph = new Map([
      ["x/one.ts", ["y/two.ts"]],
      ["y/two.ts", []],
      ["y/three.ts", ["x/four.ts"]],
      ["x/four.ts", []],
      ["x/deep/five.ts", ["x/four.ts"]],
    ]);
    expect(tangles(fileEdges(loop))).toEqual([]);
    expect(tangles(childEdges(loop, "")).map((t) => t.cycle)).toEqual([["x", "y", "x"]]);
    expect(tangles(childEdges(loop, "x"))).toEqual([]);
    expect(folders(loop)).toEqual(["", "x", "x/deep", "y"]);
  });
});
