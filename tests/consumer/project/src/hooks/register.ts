/**
 * Preloaded with `node --import ./dist/hooks/register.js`: installs the resolve logger, writing to
 * the file named by `VMCP_RESOLVE_LOG`, and at exit appends the CommonJS modules in the require
 * cache too (code loaded with `require` does not pass through the ESM resolve hook).
 */
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";

const logFile = process.env.VMCP_RESOLVE_LOG;
if (logFile === undefined || logFile === "") {
  throw new Error("set VMCP_RESOLVE_LOG to the file that receives the resolved module URLs");
}
register("./log-resolved.js", import.meta.url, { data: { logFile } });

const require = createRequire(import.meta.url);
process.on("exit", () => {
  const cjs = Object.keys(require.cache).map((path) => `cjs:${path}`);
  if (cjs.length > 0) appendFileSync(logFile, `${cjs.join("\n")}\n`);
});
