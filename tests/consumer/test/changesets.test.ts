import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCommand } from "../src/run-command.js";
import { publishablePackages, workspaceRoot } from "../src/workspace.js";

interface Status {
  readonly changesets: ReadonlyArray<{
    readonly id: string;
    readonly releases: ReadonlyArray<{ readonly name: string }>;
  }>;
}

const scratch = mkdtempSync(join(tmpdir(), "vmcp-changesets-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("pending changesets", () => {
  it("parse, and every publishable package has a release waiting", async () => {
    // `changeset status` parses every .changeset/*.md and fails on a malformed one (a formatter
    // that rewrites the front matter, say), which `changeset version` would otherwise hit at
    // release time.
    const output = join(scratch, "status.json");
    await runCommand("pnpm", ["exec", "changeset", "status", "--output", output], {
      cwd: workspaceRoot,
      timeoutMs: 60_000,
    });
    const status = JSON.parse(readFileSync(output, "utf8")) as Status;
    // A changeset that releases nothing is a mangled one: its package lines became a comment.
    for (const changeset of status.changesets) {
      expect(changeset.releases, `.changeset/${changeset.id}.md releases nothing`).not.toEqual([]);
    }
    const releasing = new Set(status.changesets.flatMap((c) => c.releases.map((r) => r.name)));
    for (const pkg of publishablePackages()) expect(releasing).toContain(pkg.manifest.name);
  });
});
