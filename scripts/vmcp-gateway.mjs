#!/usr/bin/env node
/**
 * `pnpm vmcp-gateway <command> [flags]` at the repository root (the root `vmcp-gateway` script):
 * the gateway's CLI (apps/gateway, whose bin is not linked anywhere, the package being private).
 * It first builds the gateway and the packages it uses with turbo, quietly (a cache hit when
 * nothing changed; turbo's output is shown only when the build fails), then runs
 * apps/gateway/dist/cli.js in this process with the same arguments, so its output and exit code
 * are the CLI's own.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = fileURLToPath(new URL("../apps/gateway/dist/cli.js", import.meta.url));
const Install = "npx -y pnpm@12.4.2 install --frozen-lockfile";
const Build = "turbo run build --filter=@vmcp/gateway...";

function fail(message, code) {
  process.stderr.write(`vmcp-gateway: ${message}\n`);
  process.exit(code);
}

let turbo;
try {
  turbo = createRequire(`${root}package.json`).resolve("turbo/bin/turbo");
} catch {
  fail(`the workspace is not installed: run \`${Install}\` at the repository root first`, 1);
}
const build = spawnSync(
  process.execPath,
  [turbo, "run", "build", "--filter=@vmcp/gateway...", "--output-logs=errors-only"],
  { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
);
if (build.status !== 0 || !existsSync(cli)) {
  process.stderr.write(`${build.stdout ?? ""}${build.stderr ?? ""}`);
  fail(
    `building the gateway failed (${Build}${build.error ? `: ${build.error.message}` : ""}); fix the build, or run \`${Install}\` if dependencies are missing`,
    1,
  );
}
await import(pathToFileURL(cli).href);
